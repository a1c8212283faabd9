"""What every test may use: the personas (frontline/tests/personas.py says who they are), loopback peers
(an SMTP server, an HTTP receiver, Chromium) and the harness's own settings."""

from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from frontline.tests import personas
from frontline.tests.helpers import files_in, free_port


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


def pytest_collection_modifyitems(items):
    """Tests that drive Chromium are marked `browser`: what they add to the other tests of a page is the
    browser's side of it (scripts, layout, accessibility), the same on either database, so the PostgreSQL
    stage of .ci/run leaves them to the SQLite stage."""
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _acknowledgements_asked_for_at_once(settings):
    """Each new case asks for its acknowledgement to be sent (no batching window): a test runs the queued
    jobs and sees every acknowledgement, whatever another test asked for a moment before."""
    settings.FRONTLINE_ACK_BATCH_SECONDS = 0


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Attachments and the shared cache of each test in its own directory."""
    for name, value in files_in(tmp_path).items():
        setattr(settings, name, value)


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
            # Only our own sessions: an autovacuum worker on the test database (a superuser's process) may
            # be there too, and asking to end it failed the run's teardown.
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend' AND usename = current_user"
            )
        # Any of our own connections that was ended with them reconnects on its next query.
        connections.close_all()


@pytest.fixture(scope="session", autouse=True)
def _quick_flush():
    """A test with transactions of its own (a live server, a worker process) empties every table after it,
    through Django's flush command. Two of its costs buy nothing here:
    - on PostgreSQL it is one TRUNCATE of all 92 tables, which makes new files for every table and index
      (1.0-1.7 s a test, a fifth of the PostgreSQL stage); a DELETE of each table does the same to a test's
      few rows in 0.03-0.1 s, with constraints checked once at the end (Django's foreign keys are
      deferrable). Sequences are not reset either way.
    - afterwards, post_migrate makes every content type and permission again (0.45 s on PostgreSQL);
      those two tables are left as they are instead, which is what that signal would rebuild.
    A flush that resets sequences or cascades (none of ours) goes Django's whole way."""
    from django.core.management.commands import flush

    django_statements, django_signal = flush.sql_flush, flush.emit_post_migrate_signal
    kept = ("django_content_type", "auth_permission")
    whole_way = []  # whether the flush under way emptied every table

    def statements(style, connection, reset_sequences=True, allow_cascade=False):
        whole_way[:] = [reset_sequences or allow_cascade]
        if whole_way[0]:
            return django_statements(style, connection, reset_sequences, allow_cascade)
        names = connection.introspection.django_table_names(only_existing=True, include_views=False)
        tables = [name for name in names if name not in kept]
        if connection.vendor != "postgresql":
            return connection.ops.sql_flush(style, tables)
        quote = connection.ops.quote_name
        return ["SET CONSTRAINTS ALL DEFERRED;"] + [f"DELETE FROM {quote(table)};" for table in tables]

    def signal(verbosity, interactive, database, **kwargs):
        # Its only receivers make content types and permissions: needed only if the flush emptied them.
        if whole_way != [False]:
            django_signal(verbosity, interactive, database, **kwargs)

    flush.sql_flush, flush.emit_post_migrate_signal = statements, signal
    yield
    flush.sql_flush, flush.emit_post_migrate_signal = django_statements, django_signal


@pytest.fixture(autouse=True)
def _empty_task_queues():
    """On the Redis-backed task backend, each test starts with empty queues (a no-op on the durable one)."""
    from frontline.tests.helpers import empty_queues

    empty_queues()


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    """Compiled rules, the components, the stamps that say when to reread them, the webhook subscriptions and
    the router's newest version are cached per process; a test's were
    rolled back with it (a subscription left in the cache would give the next test's events a delivery to a
    row that is gone)."""
    from frontline.correlation import stamps
    from frontline.correlation.rules import rule_cache as grouping_rules
    from frontline.correlation.upstream import components
    from frontline.policy.engine import rule_cache
    from frontline.routing.services import forget_newest_model
    from frontline.webhooks.services import forget_subscriptions

    rule_cache.clear()
    grouping_rules.clear()
    components.clear()
    stamps.forget()
    forget_subscriptions()
    forget_newest_model()


@pytest.fixture
def team(db):
    return personas.team()


@pytest.fixture
def web_hosting(db):
    return personas.web_hosting()


@pytest.fixture
def tom(team, web_hosting):
    return personas.tom(team)


@pytest.fixture
def priya(team, web_hosting):
    return personas.priya(team)


@pytest.fixture
def nadia(team):
    return personas.nadia(team)


@pytest.fixture
def ada(team):
    return personas.ada(team)


@pytest.fixture
def signed_in(client, tom):
    """A browser session of Tom's."""
    client.force_login(tom.user)
    return client


@pytest.fixture
def victor(db):
    return personas.victor()


@pytest.fixture
def sam(db):
    return personas.sam()


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
