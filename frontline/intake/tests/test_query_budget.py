"""What each intake path may spend in queries per message, with routing, priority and acknowledgements on.

A count, not a timing: the next feature that puts a query on the path shows up here before it shows up in
the benchmark. Each path reads new contacts (a case opened, classified, routed and acknowledged) and
replies (a message on an open case), is measured once, then again after the database has grown by two
hundred cases, and must cost the same: nothing on the path may grow with the data. Mail is amortised over
a chunk, as intake reads a backlog; the other channels are one contact per request.
"""

import smtplib
import threading
import time
from collections import Counter
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext

from frontline.agents.services import issue_api_token
from frontline.cases.models import Case
from frontline.core import clock
from frontline.correlation.rules import rule_cache
from frontline.customers.models import ContactPoint, ContactState, Customer
from frontline.intake import acknowledgements, public, services, smtpd
from frontline.intake.models import RawMessage, RawStatus, Source
from frontline.intake.tests.helpers import mail
from frontline.routing import services as routing
from frontline.routing.tests.helpers import NOW
from frontline.tests.helpers import free_port
from frontline.webhooks import services as webhooks

pytestmark = pytest.mark.django_db(transaction=True)

# Queries per message, SQLite (on PostgreSQL the search index costs none). The reading of a new contact:
# 3 lookups of its Message-IDs, 2 of its sender, 1 for the customer, 1 for their open cases; the topic
# (classified ahead for the chunk), the owner's load and the customer's previous owner; the case, written
# once with its triage, its message and search document, and its events in one statement; the
# acknowledgement's job (the case was written marked as acknowledged); the raw row's claim and outcome;
# the savepoint statements. A reply: the same lookups, the case read and written once, its message, search
# document and event. Mail is amortised over a chunk of ten, reading only (the bytes were stored before).
# Each path, new or reply, also asks once which of the customer's units the words name (when they hold
# anything that could be a name).
MAIL_NEW, MAIL_REPLY = 21, 18
# The listener: storing (2 per message, in its own short transaction) and then the same reading.
SMTP_NEW, SMTP_REPLY = 22, 19
# One request each, authentication and the answer included; the raw row is read as written, not claimed
# again (the request's own transaction wrote it), and stored and read with no savepoint (a repeated key is
# not an error that breaks the transaction; a failed reading rolls the request's transaction back whole).
API_NEW, API_REPLY = 14, 12
WEB_FORM_NEW, WEB_FORM_REPLY = 33, 28  # the form's submission and the confirmation's press together
CHAT_NEW, CHAT_REPLY = 24, 17

BATCH = 10


@pytest.fixture(autouse=True)
def _acknowledgements_in_batches(settings, monkeypatch):
    """As deployed: a process asks for a batch of acknowledgements to be sent at most every so often, so
    the request for it is not a message's cost (the suite otherwise asks for each at once). This process
    has just asked."""
    settings.FRONTLINE_ACK_BATCH_SECONDS = 3600
    monkeypatch.setitem(acknowledgements._asked, "at", time.monotonic())


@pytest.fixture(autouse=True)
def _process_caches_loaded(trained, monkeypatch):
    """What a process loads once (the grouping rules, compiled; the webhooks' subscriptions; which router
    version is newest, asked every few seconds) is not a message's cost: load it first."""
    rule_cache.active()
    webhooks.keep_subscriptions_read()  # for the whole test: its rounds must not straddle a re-read
    monkeypatch.setattr(routing, "NEWEST_MODEL_RECHECK_SECONDS", 3600.0)  # nor a re-ask
    routing.current_model()
    yield
    webhooks.forget_subscriptions()


def within(measured: tuple, new: float, reply: float) -> bool:
    assert measured[0] <= new and measured[1] <= reply, f"{measured} queries: the budget is ({new}, {reply})"
    return True


def _quiet_senders(count: int, skip: int = 0) -> list[tuple[Customer, str]]:
    """Customers with a verified email address and no case in progress: a new contact from them opens a
    case. (Verified: a first contact through the web form or chat verifies the address, a step once.)"""
    busy = set(Case.objects.filter(is_open=True).values_list("customer_id", flat=True))
    points = ContactPoint.objects.filter(kind="email", person__isnull=False, state=ContactState.VERIFIED)
    points = points.order_by("pk")
    found, seen = [], set()
    for point in points.select_related("customer"):
        customer = point.person.accounts.order_by("pk").first()
        if customer is None or customer.pk in busy or customer.pk in seen:
            continue
        seen.add(customer.pk)
        found.append((customer, point.value))
    return found[skip : skip + count]


def _grow(senders: list[tuple[Customer, str]]) -> None:
    """Two hundred more cases, for other customers, through the pipeline itself."""
    for n in range(200):
        address = senders[n % len(senders)][1]
        services.accept(
            mail(sender=address, subject=f"Mailbox {n} full", message_id=f"<grow{n}@budget.example>"),
            source=Source.IMPORT,
        )
    services.process_pending()


def _new_mail(address: str, n: int, round_: int) -> bytes:
    return mail(
        sender=address,
        subject="Website down since this morning",
        body="Our shop answers 503 Service Unavailable since this morning; customers cannot order.",
        message_id=f"<new{round_}-{n}@budget.example>",
    )


def _reply_mail(address: str, n: int, round_: int) -> bytes:
    original = f"<new{round_}-{n}@budget.example>"
    return mail(
        sender=address,
        subject="Re: Website down since this morning",
        body="It is still happening, any news?",
        message_id=f"<reply{round_}-{n}@budget.example>",
        in_reply_to=original,
        references=original,
    )


def _mail_round(senders, round_: int) -> tuple[float, float]:
    for n, (_, address) in enumerate(senders):
        services.accept(_new_mail(address, n, round_), source=Source.IMPORT)
    with CaptureQueriesContext(connection) as new:
        assert services.process_pending() == len(senders)
    for n, (_, address) in enumerate(senders):
        services.accept(_reply_mail(address, n, round_), source=Source.IMPORT)
    with CaptureQueriesContext(connection) as replies:
        assert services.process_pending() == len(senders)
    assert RawMessage.objects.filter(status=RawStatus.PROCESSED).count() == RawMessage.objects.count()
    return len(new) / len(senders), len(replies) / len(senders)


def test_mail_read_in_process_keeps_its_budget_however_large_the_database(trained):
    with clock.frozen_at(NOW):
        first = _mail_round(_quiet_senders(BATCH), 1)
        _grow(_quiet_senders(20, skip=2 * BATCH))
        second = _mail_round(_quiet_senders(BATCH, skip=BATCH), 2)
    assert first == second
    assert within(first, MAIL_NEW, MAIL_REPLY)
    # and the new contacts were classified and routed on the way
    routed = Case.objects.filter(messages__message_id__startswith="<new2-").exclude(assignee=None)
    assert routed.count() == BATCH


@contextmanager
def counting_queries_by_thread():
    """Queries per thread name, on every database connection opened meanwhile (the listener's threads)."""
    counted: Counter = Counter()

    def count(execute, sql, params, many, context):
        counted[threading.current_thread().name] += 1
        return execute(sql, params, many, context)

    def install(sender, connection, **kwargs):
        if count not in connection.execute_wrappers:  # a thread that reconnects keeps its wrapper
            connection.execute_wrappers.append(count)

    connection_created.connect(install)
    try:
        yield counted
    finally:
        connection_created.disconnect(install)


def _smtp_round(port: int, counted: Counter, senders, round_: int) -> tuple[float, float]:
    """What the listener's storing thread spends per message, and then what reading the backlog does (the
    listener's reading thread calls the same process_pending, in chunks, as mail arrives)."""
    per_message = []
    for make in (_new_mail, _reply_mail):
        counted.clear()
        with smtplib.SMTP("127.0.0.1", port) as client:
            for n, (_, address) in enumerate(senders):
                client.sendmail(address, ["support@frontline.invalid"], make(address, n, round_))
        stored = sum(n for thread, n in counted.items() if thread.startswith("intake-store"))
        with CaptureQueriesContext(connection) as reading:
            assert services.process_pending() == len(senders)
        per_message.append((stored + len(reading)) / len(senders))
    return tuple(per_message)


def test_the_smtp_listener_keeps_its_budget_storing_and_reading(trained):
    with counting_queries_by_thread() as counted:
        controller, _ = smtpd.start(host="127.0.0.1", port=free_port(), process=False)
        try:
            first = _smtp_round(controller.port, counted, _quiet_senders(BATCH), 1)
            _grow(_quiet_senders(20, skip=2 * BATCH))
            second = _smtp_round(controller.port, counted, _quiet_senders(BATCH, skip=BATCH), 2)
        finally:
            controller.stop()
    assert first == second
    assert within(first, SMTP_NEW, SMTP_REPLY)
    assert RawMessage.objects.filter(status=RawStatus.PROCESSED).count() == RawMessage.objects.count()


def _api_round(client, token: str, senders, round_: int) -> tuple[int, int]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def post(payload, key):
        with CaptureQueriesContext(connection) as queries:
            answer = client.post(
                "/api/v1/messages",
                payload,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=key,
                **headers,
            )
        assert answer.status_code == 201, answer.content
        return len(queries), answer.json()

    counts_new, counts_reply = set(), set()
    for n, (customer, _) in enumerate(senders):
        payload = {
            "customer_id": customer.pk,
            "subject": "Disk 95% on web-07",
            "body": f"Alert {n} from monitoring",
        }
        queries, created = post(payload, f"new{round_}-{n}")
        counts_new.add(queries)
        queries, _ = post({"case": created["case"], "body": "Disk 97% now"}, f"reply{round_}-{n}")
        counts_reply.add(queries)
    assert len(counts_new) == len(counts_reply) == 1, (counts_new, counts_reply)
    return counts_new.pop(), counts_reply.pop()


def test_the_api_keeps_its_budget_per_request(client, trained):
    from frontline.agents.models import Agent

    token = issue_api_token(Agent.objects.get(user__username="tom"), name="monitoring")[1]
    client.post(  # the token's last use is stamped once a minute: the first request pays for it
        "/api/v1/messages",
        {"customer_id": Customer.objects.first().pk, "subject": "warm", "body": "up"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    first = _api_round(client, token, _quiet_senders(BATCH), 1)
    _grow(_quiet_senders(20, skip=2 * BATCH))
    second = _api_round(client, token, _quiet_senders(BATCH, skip=BATCH), 2)
    assert first == second
    assert within(first, API_NEW, API_REPLY)


def _web_form_round(senders, round_: int) -> tuple[int, int]:
    counts_new, counts_reply = set(), set()
    for n, (_, address) in enumerate(senders):
        with CaptureQueriesContext(connection) as queries:
            row = public.submit_web_form(
                {"name": "A customer", "email": address, "subject": "Site down", "body": f"Shop {n} offline"}
            )
            confirmed = public.confirm_web_form(public.confirmation_link(row).rstrip("/").rsplit("/", 1)[1])
        assert confirmed.status == RawStatus.PROCESSED
        counts_new.add(len(queries))
        subject = f"[{confirmed.case.ref}] still down"
        with CaptureQueriesContext(connection) as queries:
            row = public.submit_web_form(
                {"name": "A customer", "email": address, "subject": subject, "body": "Still"}
            )
            joined = public.confirm_web_form(public.confirmation_link(row).rstrip("/").rsplit("/", 1)[1])
        assert joined.case_id == confirmed.case_id
        counts_reply.add(len(queries))
    assert len(counts_new) == len(counts_reply) == 1, (counts_new, counts_reply)
    return counts_new.pop(), counts_reply.pop()


def test_the_web_form_keeps_its_budget(mailoutbox, trained):
    first = _web_form_round(_quiet_senders(BATCH), 1)
    _grow(_quiet_senders(20, skip=2 * BATCH))
    second = _web_form_round(_quiet_senders(BATCH, skip=BATCH), 2)
    assert first == second
    assert within(first, WEB_FORM_NEW, WEB_FORM_REPLY)


def _chat_round(senders) -> tuple[int, int]:
    counts_new, counts_reply = set(), set()
    for n, (_, address) in enumerate(senders):
        with CaptureQueriesContext(connection) as queries:
            session, row = public.start_chat(
                name="A customer",
                email=address,
                body=f"Shop {n} is offline",
                identity=public.chat_identity(address),
            )
        assert row.status == RawStatus.PROCESSED and not row.case.unproven_claim
        counts_new.add(len(queries))
        with CaptureQueriesContext(connection) as queries:
            public.chat_message(session, "Still offline")
        counts_reply.add(len(queries))
    assert len(counts_new) == len(counts_reply) == 1, (counts_new, counts_reply)
    return counts_new.pop(), counts_reply.pop()


def test_chat_keeps_its_budget(mailoutbox, trained):
    first = _chat_round(_quiet_senders(BATCH))
    _grow(_quiet_senders(20, skip=2 * BATCH))
    second = _chat_round(_quiet_senders(BATCH, skip=BATCH))
    assert first == second
    assert within(first, CHAT_NEW, CHAT_REPLY)
