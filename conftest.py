"""Personas shared by every test: Northwind's staff and a few customers from the stories.

Tom is an agent (web hosting), Priya a team lead, Nadia a policy admin, Ada the admin; Victor has a
login but no agent profile. Sam Walker is the blogger from story S1.
"""

import datetime
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from frontline.agents import services as agents
from frontline.agents.models import Role, Skill, Team
from frontline.customers import services as customers
from frontline.tests.helpers import free_port


def pytest_sessionfinish(session, exitstatus):
    """SQLite leaves a test database's -wal and -shm files behind when the database is deleted under them:
    once the database is gone, so are they (nothing of a test run stays in var/)."""
    from pathlib import Path

    from django.conf import settings

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if not test_name:
        return
    folder, stem = Path(test_name).parent, Path(test_name).name
    for leftover in [*folder.glob(f"{stem}*-wal"), *folder.glob(f"{stem}*-shm")]:
        if not leftover.with_name(leftover.name[:-4]).exists():
            leftover.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Attachments and the shared cache of each test in its own directory."""
    settings.ATTACHMENTS_DIR = tmp_path / "attachments"
    settings.FRONTLINE_ROUTER_DIR = str(tmp_path / "models")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }


@pytest.fixture(scope="session", autouse=True)
def _end_live_server_sessions(django_db_setup, django_db_blocker):
    """The live server answers each request in a thread of its own; on PostgreSQL (persistent
    connections) such a thread's connection outlives it and would keep the test database from being
    dropped at the end of the run. End those sessions once every test is done (ending them earlier, after
    one module, broke the live server's next request); SQLite has none to end."""
    yield
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        # Any of our own connections that was ended with them reconnects on its next query.
        connections.close_all()


@pytest.fixture(autouse=True)
def _empty_task_queues():
    """On the Redis-backed task backend, each test starts with empty queues (a no-op on the durable one)."""
    from frontline.tests.helpers import empty_queues

    empty_queues()


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    """Compiled rules, the components and the webhook subscriptions are cached per process; a test's were
    rolled back with it (a subscription left in the cache would give the next test's events a delivery to a
    row that is gone)."""
    from frontline.correlation.rules import rule_cache as grouping_rules
    from frontline.correlation.upstream import components
    from frontline.policy.engine import rule_cache
    from frontline.webhooks.services import forget_subscriptions

    rule_cache.clear()
    grouping_rules.clear()
    components.clear()
    forget_subscriptions()


@pytest.fixture
def team(db):
    return Team.objects.create(name="Hosting", holiday_country="GB")


@pytest.fixture
def web_hosting(db):
    return Skill.objects.create(slug="web-hosting", name="Web hosting")


@pytest.fixture
def tom(team, web_hosting):
    return agents.create_agent(
        username="tom",
        display_name="Tom Becker",
        email="tom@northwind.example",
        password="pw-tom-123",
        role=Role.AGENT,
        team=team,
        skills={"web-hosting": 4},
    )


@pytest.fixture
def priya(team, web_hosting):
    return agents.create_agent(
        username="priya",
        display_name="Priya Raman",
        email="priya@northwind.example",
        password="pw-priya-123",
        role=Role.TEAM_LEAD,
        team=team,
        skills={"web-hosting": 5},
    )


@pytest.fixture
def nadia(team):
    return agents.create_agent(
        username="nadia",
        display_name="Nadia Kowalska",
        email="nadia@northwind.example",
        password="pw-nadia-123",
        role=Role.POLICY_ADMIN,
        team=team,
    )


@pytest.fixture
def ada(team):
    return agents.create_agent(
        username="ada",
        display_name="Ada Admin",
        email="ada@northwind.example",
        password="pw-ada-123",
        role=Role.ADMIN,
        team=team,
    )


@pytest.fixture
def signed_in(client, tom):
    """A browser session of Tom's."""
    client.force_login(tom.user)
    return client


@pytest.fixture
def victor(db, django_user_model):
    return django_user_model.objects.create_user(username="victor", password="pw-victor-123")


@pytest.fixture
def sam(db):
    """Sam Walker: customer since 2009, a blog on web-07, a verified email address."""
    customer = customers.create_customer(
        name="Sam Walker", plan="starter", customer_since=datetime.date(2009, 4, 2), monthly_value="6.99"
    )
    account = customers.add_unit(customer, kind="account", name="acct-walker")
    customers.add_unit(customer, kind="site", name="walkerblog.example", parent=account, hostname="web-07")
    person = customers.add_person(customer, name="Sam Walker")
    email = customers.add_contact_point(person=person, kind="email", value="Sam@WalkerBlog.example")
    customers.verify_contact_point(email)
    customers.add_contact_point(person=person, kind="phone", value="+44 7700 900456", label="mobile")
    return customer


@pytest.fixture
def sam_person(sam):
    return sam.people.get()


@pytest.fixture
def blog(sam):
    return sam.units.get(kind="site")


class Mailbox:
    """What the loopback SMTP server received. `refuse` maps an address to the answer it gets at RCPT."""

    def __init__(self):
        self.envelopes = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 Ok: queued as TEST123"

    def messages(self):
        return [message_from_bytes(e.original_content or e.content) for e in self.envelopes]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend delivers to."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "frontline.delivery.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield mailbox
    controller.stop()


@pytest.fixture
def smtp_down(settings):
    """An SMTP port where nothing listens: the connection is refused."""
    settings.EMAIL_BACKEND = "frontline.delivery.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 3


@pytest.fixture
def receiver(settings):
    """A real HTTP server on 127.0.0.1: the SMS gateway (through Apprise's json:// URL), the voice
    provider's webhook and customers' webhook endpoints all post to it."""
    from frontline.tests.helpers import start_receiver

    receiver, server = start_receiver()
    settings.FRONTLINE_SMS_URL = f"json://127.0.0.1:{receiver.port}/sms/{{number}}"
    settings.FRONTLINE_VOICE_WEBHOOK_URL = f"{receiver.url}/voice"
    settings.FRONTLINE_VOICE_WEBHOOK_SECRET = "voice-secret"
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def chromium(live_server, monkeypatch):
    """Debian's Chromium, driven by Playwright, against the live server; a context per page (`new_page`)."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still
    # synchronous and made between browser steps, never inside them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    from frontline.tests.browser import ARGS, CHROMIUM, LAPTOP

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def new_page(viewport=LAPTOP):
            # bypass_csp: the accessibility check injects axe-core, which our pages' policy would refuse
            page = browser.new_context(viewport=viewport, bypass_csp=True, locale="en-GB").new_page()
            page.set_default_timeout(15_000)
            return page

        yield new_page
        browser.close()
