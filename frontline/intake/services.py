"""The one intake pipeline: every channel stores what it was given, then this interprets it.

`accept` writes the exact bytes and nothing else, in one short transaction: the SMTP listener answers 250
only after it returns. `process` interprets a stored message into a case message, or records why not
(duplicate, auto-reply, delivery report, quarantine). `receive` does both, for callers that want the
case now (the importer, the API, the web form). Nothing here trusts what it reads, and nothing that goes
wrong with one message reaches another: each is interpreted in its own savepoint.
"""

import atexit
import base64
import errno
import json
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from frontline.cases import services as cases
from frontline.cases.models import Case, Channel, Message
from frontline.core import chunk as chunk_memo
from frontline.core import clock, jsonbody, rows
from frontline.core.db import covering_savepoint, queued_writes
from frontline.core.doors import door
from frontline.core.errors import ServiceError
from frontline.core.processes import die_with_parent, stopping
from frontline.customers import services as customers
from frontline.customers.models import ContactKind, ContactPoint, Customer, Person
from frontline.intake import events, mail, placement, reading
from frontline.intake.filing import (
    ACKNOWLEDGED_SOURCES,
    _sender,
    acknowledge_if_due,
    deliver,
    placement_words,
    store_attachments,
)
from frontline.intake.interpreters import IncomingMail, Outcome
from frontline.intake.models import RawMessage, RawStatus, Source
from frontline.notifications.services import acknowledge_by_sms
from frontline.routing import services as routing
from frontline.routing.text import case_text

log = logging.getLogger(__name__)
# Read once: the parsing process is spawned without Django, so it is handed the value, not the settings.
_LOOP_MARKER = settings.FRONTLINE_INSTANCE_ID


class TooLarge(ServiceError):
    pass


def accept(
    raw: bytes,
    *,
    source: str,
    channel: str = Channel.EMAIL,
    envelope_sender: str = "",
    envelope_recipients=(),
    idempotency_key: str = "",
) -> tuple[RawMessage, bool]:
    """Store the bytes durably before anything reads them. Answers (row, created): a repeated
    idempotency key answers the row it first made."""
    if len(raw) > settings.INTAKE_MAX_MESSAGE_BYTES:
        raise TooLarge(
            f"the message is {len(raw):,} bytes; the limit is {settings.INTAKE_MAX_MESSAGE_BYTES:,}",
            field="raw",
        )
    row = rows.new(
        RawMessage,
        source=source,
        channel=channel,
        received_at=clock.now(),
        envelope_sender=mail.clean(envelope_sender)[:255],
        envelope_recipients="\n".join(mail.clean(r) for r in envelope_recipients),
        raw=raw,
        size=len(raw),
        header_message_id=mail.quick_message_id(raw) if channel == Channel.EMAIL else "",
        idempotency_key=idempotency_key[:200],
    )
    # Plain SQL: every message on every channel is stored here first. A repeated key is not written and
    # breaks no transaction (no savepoint needed inside the API's, two statements a message); alone, one
    # statement in autocommit is a transaction of its own: stored once it returns.
    if rows.insert(row, unless_conflict=bool(idempotency_key)):
        return row, True
    return RawMessage.objects.get(source=source, idempotency_key=idempotency_key[:200]), False


def receive_in_one_transaction(raw: bytes, *, by=None, **kwargs) -> tuple[RawMessage, bool]:
    """For callers who hold the message until we answer (the API): store and read it in one transaction.
    The bytes are still written before anything reads them. A failure to read them rolls that transaction
    back, and the bytes are stored again with what failed (quarantined, or waiting for disk space) in one of
    their own: a savepoint around the reading cost two statements and a subtransaction for every message,
    about 8% of its CPU. Only a crash loses both, and then the caller had no answer and sends again with the
    same key. One transaction instead of two halves the waits for SQLite's lock."""
    with chunk_memo.reading():
        _read_ahead(raw, kwargs.get("channel", Channel.EMAIL))
        try:
            with queued_writes(), transaction.atomic():
                row, created = accept(raw, **kwargs)
                if created:
                    _take_outcome(row, _process_one(row.pk, by=by, stored=row, savepoint=False))
        except _Unread as failed:
            with queued_writes(), transaction.atomic():
                row, created = accept(raw, **kwargs)
                if created:
                    row.attempts += 1
                    _record(row, failed.outcome)
    return row, created


def receive(raw: bytes, *, by=None, **kwargs) -> RawMessage:
    row, created = accept(raw, **kwargs)
    return process(row, by=by) if created else row


def process(row: RawMessage, *, by=None) -> RawMessage:
    """Interpret one stored message. A quarantined one may be processed again after a fix."""
    with chunk_memo.reading():
        _read_ahead(row.raw, row.channel)
        with transaction.atomic():
            _take_outcome(row, _process_one(row.pk, by=by))
    return row


def _read_ahead(raw, channel: str) -> None:
    """Before the writing: the topic of a structured channel's message (a model call, the longest step of
    opening a case) and who has that skill, so that the write transaction holds the lock for less time.
    Anything unreadable is left for the reading itself to refuse with its reason."""
    if channel == Channel.EMAIL:
        return
    try:
        payload = jsonbody.loads(bytes(raw), max_bytes=settings.INTAKE_MAX_MESSAGE_BYTES)
    except jsonbody.BadJson:
        return
    if isinstance(payload, dict) and not payload.get("case") and not payload.get("case_id"):
        subject, body = _structured_text(payload)
        if body:
            routing.classify_ahead([case_text(case_subject(subject, body), body)])


# What reading a stored message changes on its row.
_OUTCOME_FIELDS = (
    "status",
    "reason",
    "case_id",
    "message_id",
    "processed_at",
    "attempts",
    "header_message_id",
    "body_digest",
)


def _take_outcome(row: RawMessage, read: RawMessage | None) -> None:
    """The outcome `_process_one` recorded, onto the caller's instance (without reading the row again);
    when another process read it first, the row as it is now."""
    if read is None:
        row.refresh_from_db()
        return
    for name in _OUTCOME_FIELDS:
        setattr(row, name, getattr(read, name))


def process_pending(*, limit: int | None = None, chunk: int = 200) -> int:
    """Interpret waiting messages in arrival order, a chunk per transaction (a savepoint each).

    With a backlog, a second process reads the next chunk ahead while this one writes the current chunk:
    it parses the mail (pure Python over bytes, about a millisecond a message) and guesses the topics of
    the new conversations with the router's model file (`reading.read_ahead`); the writing holds the
    database, and on two cores the two overlap. Parsing there is the same `mail.parse` as here, and the
    guesses the same model's.
    A worker asked to stop ends after the chunk in hand; the rest stays pending for the next run.
    """
    done, pool, ahead = 0, None, None
    ids = _pending_ids(0, chunk if limit is None else min(chunk, limit))
    while ids and not stopping.is_set():
        done += len(ids)
        room = chunk if limit is None else min(chunk, limit - done)
        next_ids = _pending_ids(ids[-1], room) if room > 0 else []
        if pool is None and len(next_ids) == chunk:  # a backlog: read ahead from here on
            pool = _parser_pool()
        model = routing.model_file() if pool else None
        read_here = [] if ahead else ids
        if pool and not ahead and len(ids) > 1:  # nobody read this chunk ahead: the other process reads half
            read_here = ids[: len(ids) // 2]
            ahead = pool.submit(reading.read_ahead, _LOOP_MARKER, _raw_mail(ids[len(read_here) :]), model)
        # Read ahead by the second process, or here and now: either way before the chunk's writing, so
        # that the chunk's new mail is classified in one call (there too, when it runs: the model stays
        # out of this process).
        ready = reading.Ahead(mail.parse_many(settings.FRONTLINE_INSTANCE_ID, _raw_mail(read_here)))
        guessed = None
        if pool and read_here:
            texts = reading.opening_texts(ready.parsed.values(), replies=True)
            guessed = pool.submit(reading.guess, texts, model)
        next_ahead = None
        if pool and next_ids:
            next_ahead = pool.submit(reading.read_ahead, _LOOP_MARKER, _raw_mail(next_ids), model)
        for other in (ahead, guessed):
            if other is not None:
                ready.take(other.result())
        with chunk_memo.reading(), queued_writes(), transaction.atomic():
            routing.remember_guesses(ready.guesses, ready.model_version)
            routing.classify_ahead(
                [text for text in reading.opening_texts(ready.parsed.values()) if text not in ready.guesses]
            )
            for pk in ids:
                _process_one(pk, parsed=ready.parsed.get(pk))
        ids, ahead = next_ids, next_ahead
    return done


_POOL: ProcessPoolExecutor | None = None


def _parser_pool() -> ProcessPoolExecutor:
    """One parsing process, started on first need and kept. Spawned, not forked: the listener that calls
    this has threads, and the parser needs nothing of Django."""
    global _POOL
    if _POOL is None:
        _POOL = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=die_with_parent
        )
        atexit.register(_POOL.shutdown, cancel_futures=True)
    return _POOL


def _pending_ids(after: int, size: int) -> list[int]:
    waiting = RawMessage.objects.filter(status=RawStatus.PENDING, pk__gt=after)
    if time.monotonic() < _disk.retry_after:
        waiting = waiting.exclude(reason__startswith=DISK_WAIT)
    return list(waiting.order_by("pk").values_list("pk", flat=True)[:size])


def _raw_mail(ids: list[int]) -> list[tuple[int, bytes]]:
    rows = RawMessage.objects.filter(pk__in=ids, channel=Channel.EMAIL).values_list("pk", "raw")
    return [(pk, bytes(raw)) for pk, raw in rows]


def reprocess(row: RawMessage, *, by) -> RawMessage:
    """A person sends a quarantined (or unconfirmed) message through the pipeline again."""
    with transaction.atomic():
        locked = RawMessage.objects.select_for_update().get(pk=row.pk)
        if locked.status not in (RawStatus.QUARANTINED, RawStatus.UNCONFIRMED):
            raise ServiceError(
                "only a quarantined or unconfirmed message can be processed again", field="status"
            )
        locked.status = RawStatus.PENDING
        locked.save(update_fields=["status"])
        events.reprocessed(row=locked, by=by)
    return process(locked, by=by)


# Plain SQL for the row intake reads and writes once per message: the ORM's version cost more than the
# rest of reading a reply. FOR UPDATE where the database has it (SQLite's writer lock covers it already).
_CLAIM = (
    "SELECT id, source, channel, status, attempts, envelope_recipients, header_message_id, raw "
    "FROM intake_rawmessage WHERE id = %s"
)
_RECORD_OUTCOME = (
    "UPDATE intake_rawmessage SET status = %s, reason = %s, case_id = %s, message_id = %s, "
    "processed_at = %s, attempts = %s, header_message_id = %s, body_digest = %s WHERE id = %s"
)


# A full disk or quota (attachments are written while a message is read): temporary, not the message's fault.
_OUT_OF_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
DISK_WAIT = "waiting for disk space"
# Mail that waited for disk space is tried again after this long, not on every round: each try parses the
# message and writes until the disk refuses, and the listener's reader starts a round for every message
# stored. Kept per process: a process that starts tries them at once.
DISK_RETRY_SECONDS = 10.0
_disk = SimpleNamespace(retry_after=0.0)  # the monotonic time before which waiting mail is left alone


class _Unread(Exception):
    """Reading a message failed where no savepoint covered it: the caller's transaction is rolled back and
    the message stored again with this outcome."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.reason)
        self.outcome = outcome


def _process_one(
    pk: int, *, by=None, parsed=None, stored: RawMessage | None = None, savepoint: bool = True
) -> RawMessage | None:
    """Read one stored message in a savepoint; answers the row's outcome (None: another process has it).
    `stored`: the row this transaction has just written, which no other process can see yet: it is read as
    it is, not claimed again (a statement less for every API message). `savepoint=False`: a failure raises
    _Unread with its outcome, for the caller to roll back and record."""
    if stored is not None:
        row = stored
        row.attempts += 1
    else:
        found = rows.fetch_one(_CLAIM + ("" if connection.vendor == "sqlite" else " FOR UPDATE"), [pk])
        if found is None or found[3] != RawStatus.PENDING:
            return None  # another process got there first
        row = rows.new(
            RawMessage,
            id=found[0],
            source=found[1],
            channel=found[2],
            status=found[3],
            attempts=found[4] + 1,
            envelope_recipients=found[5],
            header_message_id=found[6],
            raw=found[7],
        )
    try:
        with covering_savepoint(savepoint):  # the services below take no savepoints of their own
            outcome = _interpret(row, by=by, parsed=parsed)
    except Exception as exc:
        outcome = _failure(exc, pk)
        if not savepoint:
            raise _Unread(outcome) from exc
    _record(row, outcome)
    return row


def _failure(exc: Exception, pk: int) -> Outcome:
    """What a failure to read a message makes of it."""
    if isinstance(exc, (mail.UnreadableMail, ServiceError, ValueError, TypeError)):
        return Outcome(RawStatus.QUARANTINED, str(getattr(exc, "message", exc)) or type(exc).__name__)
    if isinstance(exc, OSError) and exc.errno in _OUT_OF_SPACE:
        # The disk is full, not the message wrong: it stays waiting and is read again when there is room.
        log.error("raw message %s waits for disk space: %s", pk, exc.strerror)
        _disk.retry_after = time.monotonic() + DISK_RETRY_SECONDS
        return Outcome(RawStatus.PENDING, f"{DISK_WAIT}: {exc.strerror}")
    # A bug of ours must not lose the message or stop the others.
    log.exception("intake could not interpret raw message %s", pk)
    return Outcome(RawStatus.QUARANTINED, f"{type(exc).__name__}: {exc}")


def _record(row: RawMessage, outcome: Outcome) -> None:
    """The outcome of reading a stored message, onto its row."""
    row.status, row.reason = outcome.status, outcome.reason[:2000]
    row.case_id = outcome.case.pk if outcome.case else None
    row.message_id = outcome.message.pk if outcome.message else None
    row.processed_at = None if outcome.status == RawStatus.PENDING else clock.now()
    rows.execute(
        _RECORD_OUTCOME,
        [
            row.status,
            row.reason,
            row.case_id,
            row.message_id,
            row.processed_at,
            row.attempts,
            row.header_message_id,
            row.body_digest,
            row.pk,
        ],
    )
    if outcome.status == RawStatus.QUARANTINED:
        events.quarantined(row=row)


def _interpret(row: RawMessage, *, by=None, parsed=None) -> Outcome:
    if row.channel == Channel.EMAIL:
        return _interpret_mail(row, parsed)
    return _interpret_structured(row, by=by)


# ---- mail ------------------------------------------------------------------------------------------


# The same Message-ID and body read before: a re-delivery. (Plain SQL: it runs for every mail.)
_EARLIER_DELIVERY = (
    "SELECT id, case_id, message_id FROM intake_rawmessage WHERE header_message_id = %s AND body_digest = %s "
    "AND id <> %s AND status NOT IN ('pending', 'quarantined') ORDER BY id LIMIT 1"
)


def _interpret_mail(row: RawMessage, parsed=None) -> Outcome:
    raw = bytes(row.raw)
    if isinstance(parsed, mail.UnreadableMail):
        raise parsed
    if parsed is None or _LOOP_MARKER != settings.FRONTLINE_INSTANCE_ID:
        parsed = mail.parse(raw, loop_marker_value=settings.FRONTLINE_INSTANCE_ID)
    row.header_message_id = parsed.message_id[:255]
    row.body_digest = mail.body_digest(raw)
    if parsed.message_id:
        earlier = rows.fetch_one(_EARLIER_DELIVERY, [parsed.message_id, row.body_digest, row.pk])
        if earlier:
            pk, case_id, message_id = earlier
            return Outcome(
                RawStatus.DUPLICATE,
                f"delivered before as #{pk}",
                Case.objects.filter(pk=case_id).first(),
                Message.objects.filter(pk=message_id).first(),
            )
    incoming = IncomingMail(
        row, parsed, placement.known_ids(parsed.message_id, parsed.in_reply_to + parsed.references)
    )
    for interpret in door("FRONTLINE_MAIL_INTERPRETERS"):
        outcome = interpret(incoming)
        if outcome is not None:
            return outcome
    raise ImproperlyConfigured("no mail interpreter answered: FRONTLINE_MAIL_INTERPRETERS must end with one")


# ---- web form, API, chat and phone: JSON the channel built from what it was given ------------------------


# What an integration may send to POST /api/v1/messages, as its OpenAPI schema says (intake/api.py); any
# other field is refused by name.
API_FIELDS = {
    "body": {"type": "string"},
    "subject": {"type": "string"},
    "customer_id": {"type": "integer"},
    "email": {"type": "string"},
    "name": {"type": "string"},
    "case": {"type": "string", "description": "a case reference such as C-12"},
    "channel": {"type": "string", "enum": ["api", "monitoring"]},
    "idempotency_key": {"type": "string"},
}


def _interpret_structured(row: RawMessage, *, by=None) -> Outcome:
    payload = jsonbody.loads(bytes(row.raw), max_bytes=settings.INTAKE_MAX_MESSAGE_BYTES)
    if not isinstance(payload, dict):
        raise ServiceError("the message must be a JSON object")
    unknown = sorted(set(payload) - set(API_FIELDS)) if row.source == Source.API else []
    if unknown:  # refused, never dropped unseen; the message is kept and can be read again
        raise ServiceError(f"unknown fields: {', '.join(unknown)}", field=unknown[0])
    subject, body = _structured_text(payload)
    if not body:
        raise ServiceError("the message has no body", field="body")
    if row.source == Source.SMS:
        acknowledged = acknowledge_by_sms(str(payload.get("phone") or ""), body)
        if acknowledged is not None:
            return Outcome(RawStatus.ACKNOWLEDGEMENT, f"acknowledged notification #{acknowledged.pk}")
    agent = by
    if row.source == Source.PHONE and payload.get("agent_id"):
        # Only a phone note's payload is ours (log_phone_call writes who took the call); anything else a
        # client sent names no actor: the actor is whoever is authenticated.
        from frontline.agents.models import Agent

        agent = Agent.objects.filter(pk=payload["agent_id"]).first()
    case = None
    if payload.get("case") and not payload.get("case_id"):
        payload["case_id"] = Case.pk_from_ref(str(payload["case"])) or -1
    if payload.get("case_id"):
        case = _case(payload["case_id"])
        if case is None:
            raise ServiceError(f"no case {payload['case_id']}", field="case")
        case = cases.follow_merges(case)
    place = placement.Placement(case, "given", 1.0, "given by the channel") if case else placement.NEW
    # A chat that has not proven its sender's address is held apart: it never joins, reads or receives
    # anything of a case that exists (anyone can type anyone's address into a chat).
    unproven = row.source == Source.CHAT and not payload.get("proven") and case is None
    if not place.case and subject and not unproven:
        place = placement.by_reference(subject, [])
    person, customer = _structured_sender(payload, place.case)
    if not place.case and not unproven:
        place = placement.by_similarity(customer.pk, subject, body)
    channel = payload.get("channel") or row.channel
    if row.source == Source.API and channel not in (Channel.API, Channel.MONITORING):
        raise ServiceError("channel must be api or monitoring", field="channel")
    fields = dict(
        channel=channel,
        body=body,
        subject=subject,
        requester=person,
        sender=mail.clean(payload.get("sender") or payload.get("email") or payload.get("phone") or "")[:255],
        via=row.source,
        by=agent,
        duration_seconds=payload.get("duration_seconds"),
    )
    if not fields["duration_seconds"]:
        fields.pop("duration_seconds")
    # An alert from the customer's monitoring is not the customer writing: not acknowledged.
    acknowledging = row.source in ACKNOWLEDGED_SOURCES and channel != Channel.MONITORING
    case, message = deliver(
        place, customer, fields, subject=case_subject(subject, body), acknowledge=acknowledging
    )
    if row.source == Source.PORTAL and payload.get("attachments"):
        store_attachments(message, portal_files(payload["attachments"]))
    if unproven:
        Case.objects.filter(pk=case.pk).update(unproven_claim=fields["sender"])
    if acknowledging:
        acknowledge_if_due(case, place, person)
    return Outcome(RawStatus.PROCESSED, placement_words(place, case), case, message)


def portal_files(items) -> list[mail.MailAttachment]:
    """The files a portal reply carried, base64 in its stored payload, as mail's attachments are read."""
    if not isinstance(items, list):
        raise ServiceError("attachments must be a list", field="attachments")
    files = []
    for item in items:
        try:
            data = base64.b64decode(str(item["data"]), validate=True)
            name = mail.clean(str(item.get("filename") or "attachment"))[:255] or "attachment"
        except (KeyError, TypeError, ValueError) as exc:
            raise ServiceError("an attachment could not be read", field="attachments") from exc
        kind = mail.clean(str(item.get("content_type") or "application/octet-stream"))[:120]
        files.append(mail.MailAttachment(filename=name, content_type=kind, data=data))
    return files


def _structured_text(payload: dict) -> tuple[str, str]:
    """(subject, body) of a structured channel's payload, cleaned as they are stored."""
    body = str(payload.get("body") or "").replace("\x00", "").strip()
    return mail.clean(payload.get("subject") or "")[:255], body


def case_subject(subject: str, body: str) -> str:
    """A case's subject from a contact without one: its first line."""
    return (subject or body.splitlines()[0][:120]).strip()[:255]


def _row_id(value) -> int | None:
    """A client's id as a row id, or None for anything that cannot be one (text, negative, beyond 64 bits)."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and int(text) < 2**63 else None


def _case(pk) -> Case | None:
    """The case a structured channel names, with its customer (plain SQL: every API reply asks)."""
    pk = _row_id(pk)
    return None if pk is None else rows.find(Case, "t0.id = %s", [pk], follow=("customer",))


def _structured_sender(payload: dict, case: Case | None) -> tuple[Person | None, Customer]:
    if payload.get("customer_id"):
        customer = _customer(payload["customer_id"])
        if customer is None:
            raise ServiceError(f"no customer {payload['customer_id']}", field="customer")
        person = None
        if payload.get("person_id"):
            person = Person.objects.filter(pk=payload["person_id"], memberships__customer=customer).first()
        return person, customer
    phone = mail.clean(payload.get("phone") or "")
    if phone and not payload.get("email"):
        number = customers.normalize_contact(ContactKind.PHONE, phone)
        point = (
            ContactPoint.objects.filter(kind=ContactKind.PHONE, normalized=number)
            .select_related("person", "customer")
            .order_by("pk")
            .first()
        )
        if point is None:
            raise ServiceError(f"no customer has the number {phone}", field="phone")
        if point.customer_id:
            return None, point.customer
        if case is not None and point.person.memberships.filter(customer=case.customer).exists():
            return point.person, case.customer
        return point.person, point.person.accounts.order_by("pk").first()
    email = mail.clean(payload.get("email") or "").lower()
    if email:
        customers.normalize_contact(ContactKind.EMAIL, email)  # raises a clear error for a non-address
        return _sender(email, mail.clean(payload.get("name") or ""), case)
    if case is not None:
        return case.requester, case.customer
    raise ServiceError("say who it is from: customer_id, email, or a case", field="email")


def _customer(pk) -> Customer | None:
    pk = _row_id(pk)
    return None if pk is None else rows.find(Customer, "t0.id = %s", [pk])


def as_raw(payload: dict) -> bytes:
    """What a structured channel was given, as the bytes intake stores."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


def submit(payload: dict, *, source: str, channel: str, idempotency_key: str = "", by=None) -> RawMessage:
    """Structured channels: the payload is stored as given, then interpreted."""
    return receive(as_raw(payload), source=source, channel=channel, idempotency_key=idempotency_key, by=by)


def submit_or_refuse(payload: dict, *, source: str, field: str, by=None) -> RawMessage:
    """For a person waiting on the answer (an agent, a chat visitor): what cannot be read is kept, and
    refused with its reason."""
    row = submit(payload, source=source, channel=payload["channel"], by=by)
    if row.status == RawStatus.QUARANTINED:
        raise ServiceError(row.reason, field=field)
    return row


# ---- the public web form: a stranger's address is confirmed before a case opens -------------------------


# ---- phone notes and chat ----------------------------------------------------------------------------
