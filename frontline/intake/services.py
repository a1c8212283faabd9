"""The one intake pipeline: every channel stores what it was given, then this interprets it.

`accept` writes the exact bytes and nothing else, in one short transaction: the SMTP listener answers 250
only after it returns. `process` interprets a stored message into a case message, or records why not
(duplicate, auto-reply, delivery report, quarantine). `receive` does both, for callers that want the
case now (the importer, the API, the web form). Nothing here trusts what it reads, and nothing that goes
wrong with one message reaches another: each is interpreted in its own savepoint.
"""

import atexit
import hashlib
import hmac
import json
import logging
import multiprocessing
import secrets
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.utils.crypto import salted_hmac

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases import services as cases
from frontline.cases.models import Attachment, Case, Channel, Direction, Message
from frontline.core import clock, jsonbody
from frontline.core.db import queued_writes
from frontline.core.doors import door
from frontline.core.errors import ServiceError
from frontline.core.links import NOT_VALID, make_link, read_link
from frontline.core.processes import die_with_parent, stopping
from frontline.core.ratelimit import hits
from frontline.customers import services as customers
from frontline.customers.models import ContactKind, ContactPoint, ContactState, Customer, Person
from frontline.delivery import services as delivery
from frontline.intake import events, mail, placement
from frontline.intake.interpreters import IncomingMail, Outcome
from frontline.intake.models import ChatSession, RawMessage, RawStatus, Source
from frontline.notifications.services import acknowledge_by_sms
from frontline.routing import services as routing
from frontline.scheduling.later import later

log = logging.getLogger(__name__)
# Read once: the parsing process is spawned without Django, so it is handed the value, not the settings.
_LOOP_MARKER = settings.FRONTLINE_INSTANCE_ID

# Channels whose sender gets an acknowledgement by email when a new case opens for them.
ACKNOWLEDGED_SOURCES = {Source.SMTP, Source.IMAP, Source.IMPORT, Source.WEB_FORM, Source.API}
# No second acknowledgement to the same case within this time: one note, not one per message.
ACK_QUIET_PERIOD = timedelta(hours=2)


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
    row = RawMessage(
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
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        if not idempotency_key:
            raise
        return RawMessage.objects.get(source=source, idempotency_key=idempotency_key[:200]), False
    return row, True


def receive_in_one_transaction(raw: bytes, *, by=None, **kwargs) -> tuple[RawMessage, bool]:
    """For callers who hold the message until we answer (the API): store and read it in one transaction.
    The bytes are still written before anything reads them, and a failure to read them is caught in a
    savepoint and quarantined with them; only a crash loses both, and then the caller had no answer and
    sends again with the same key. One transaction instead of two halves the waits for SQLite's lock."""
    with queued_writes(), transaction.atomic():
        row, created = accept(raw, **kwargs)
        if created:
            _process_one(row.pk, by=by)
    row.refresh_from_db()
    return row, created


def receive(raw: bytes, *, by=None, **kwargs) -> RawMessage:
    row, created = accept(raw, **kwargs)
    return process(row, by=by) if created else row


def process(row: RawMessage, *, by=None) -> RawMessage:
    """Interpret one stored message. A quarantined one may be processed again after a fix."""
    with transaction.atomic():
        _process_one(row.pk, by=by)
    row.refresh_from_db()
    return row


def process_pending(*, limit: int | None = None, chunk: int = 200) -> int:
    """Interpret waiting messages in arrival order, a chunk per transaction (a savepoint each).

    With a backlog, a second process parses the next chunk's mail while this one writes the current
    chunk: parsing is pure Python over bytes (about a millisecond a message), the writing holds the
    database, and on two cores the two overlap. Parsing there is the same `mail.parse` as here.
    A worker asked to stop ends after the chunk in hand; the rest stays pending for the next run.
    """
    done, pool, parsed = 0, None, None
    ids = _pending_ids(0, chunk if limit is None else min(chunk, limit))
    while ids and not stopping.is_set():
        done += len(ids)
        room = chunk if limit is None else min(chunk, limit - done)
        next_ids = _pending_ids(ids[-1], room) if room > 0 else []
        if pool is None and len(next_ids) == chunk:  # a backlog: parse ahead from here on
            pool = _parser_pool()
        next_parsed = None
        if pool and next_ids:
            next_parsed = pool.submit(mail.parse_many, _LOOP_MARKER, _raw_mail(next_ids))
        ready = parsed.result() if parsed else {}
        with queued_writes(), transaction.atomic():
            for pk in ids:
                _process_one(pk, parsed=ready.get(pk))
        ids, parsed = next_ids, next_parsed
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
    return list(
        RawMessage.objects.filter(status=RawStatus.PENDING, pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:size]
    )


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


def _process_one(pk: int, *, by=None, parsed=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM + ("" if connection.vendor == "sqlite" else " FOR UPDATE"), [pk])
        found = cursor.fetchone()
    if found is None or found[3] != RawStatus.PENDING:
        return  # another process got there first
    row = RawMessage(
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
        with transaction.atomic():
            outcome = _interpret(row, by=by, parsed=parsed)
    except (mail.UnreadableMail, ServiceError, ValueError, TypeError) as exc:
        outcome = Outcome(RawStatus.QUARANTINED, str(getattr(exc, "message", exc)) or type(exc).__name__)
    except Exception as exc:  # a bug of ours must not lose the message or stop the others
        log.exception("intake could not interpret raw message %s", pk)
        outcome = Outcome(RawStatus.QUARANTINED, f"{type(exc).__name__}: {exc}")
    row.status, row.reason = outcome.status, outcome.reason[:2000]
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_OUTCOME,
            [
                row.status,
                row.reason,
                outcome.case.pk if outcome.case else None,
                outcome.message.pk if outcome.message else None,
                clock.now(),
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
        with connection.cursor() as cursor:
            cursor.execute(_EARLIER_DELIVERY, [parsed.message_id, row.body_digest, row.pk])
            earlier = cursor.fetchone()
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


def person_writing(incoming: IncomingMail) -> Outcome:
    """The last interpreter: a person writing to us, onto the case it belongs to or a new one."""
    row, parsed, place = incoming.row, incoming.parsed, incoming.place()
    person, customer = _sender(parsed.from_address, parsed.from_name, place.case)
    if not place.case:
        place = placement.by_similarity(customer.pk, parsed.subject, parsed.text)
    fields = dict(
        channel=Channel.EMAIL,
        body=parsed.text,
        subject=parsed.subject,
        requester=person,
        sender=parsed.from_address,
        via=row.source,
        body_html=parsed.html,
        message_id=parsed.message_id[:255],
    )
    case, message = _deliver(place, customer, fields, subject=parsed.subject)
    if place.same_thread is not None and place.same_thread.customer_id == case.customer_id:
        # A reply was read before this message and opened its own case: one mail thread, so one case.
        case = cases.merge_cases(place.same_thread, into=case, by=None, reason="one mail thread", via="email")
    refs = list(dict.fromkeys(parsed.in_reply_to + parsed.references))
    if refs:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO intake_reference (message_id, referenced) VALUES (%s, %s)",
                [(message.pk, ref[:255]) for ref in refs],
            )
    _store_attachments(message, parsed.attachments)
    _acknowledge_if_due(case, place, row.source, person)
    return Outcome(RawStatus.PROCESSED, _placement_words(place, case), case, message)


_SENDER = (
    "SELECT cp.person_id, cp.customer_id, p.name FROM customers_contactpoint cp "
    "LEFT JOIN customers_person p ON p.id = cp.person_id "
    "WHERE cp.kind = 'email' AND cp.normalized = %s ORDER BY cp.id LIMIT 1"
)
_ACCOUNTS = "SELECT customer_id FROM customers_membership WHERE person_id = %s ORDER BY customer_id"


def _sender(address: str, name: str, case: Case | None) -> tuple[Person | None, Customer]:
    """Who wrote: a known contact point's person and account, or a new prospect account for a stranger.
    (Plain SQL: it runs for every mail, and the ORM cost more than the lookups.)"""
    with connection.cursor() as cursor:
        cursor.execute(_SENDER, [address])
        found = cursor.fetchone()
        person_id, account_id, person_name = found if found else (None, None, "")
        accounts = []
        if person_id:
            cursor.execute(_ACCOUNTS, [person_id])
            accounts = [pk for (pk,) in cursor.fetchall()]
    person = Person(pk=person_id, name=person_name) if person_id else None
    if case is not None and (case.customer_id in accounts or case.customer_id == account_id or not found):
        # Known on this case's account, or someone new writing on a known thread (a colleague in copy).
        # The case's account by id only: threading's case is a stand-in, and nothing here opens a case.
        return person if case.customer_id in accounts else None, Customer(pk=case.customer_id)
    if accounts:
        chosen = accounts[0]
        if len(accounts) > 1:  # someone acting for several accounts: the one with a case in progress
            busy = (
                Case.objects.filter(customer_id__in=accounts, is_open=True)
                .order_by("-updated_at")
                .values_list("customer_id", flat=True)
                .first()
            )
            chosen = busy or chosen
        return person, Customer.objects.get(pk=chosen)
    if account_id:
        return None, Customer.objects.get(pk=account_id)
    customer = customers.create_customer(
        name=(name or address)[:200], notes="Created by intake: first contact"
    )
    person = customers.add_person(customer, name=(name or address)[:120])
    customers.add_contact_point(person=person, kind=ContactKind.EMAIL, value=address)
    return person, customer


def _deliver(place: placement.Placement, customer: Customer, fields: dict, *, subject: str):
    thread_fields = dict(
        thread_rule=place.rule, thread_confidence=place.confidence, thread_reason=place.reason[:255]
    )
    if place.case is not None:
        message = cases.record_inbound_message(place.case, **fields, **thread_fields)
        return message.case, message
    case = cases.open_case(
        customer=customer, **{**fields, "subject": subject or "(no subject)"}, **thread_fields
    )
    opening = case.opening_message
    case = routing.triage_new_case(case)  # repeat rule, topic, owner: before the acknowledgement names them
    return case, opening


def _placement_words(place: placement.Placement, case: Case) -> str:
    if not place.case:
        return f"opened {case.ref}"
    confidence = f", confidence {place.confidence:.2f}" if place.rule == "similar" else ""
    return f"joined {case.ref}: {place.reason}{confidence}"


def _store_attachments(message: Message, attachments: list[mail.MailAttachment]) -> None:
    rows = []
    for item in attachments:
        digest = hashlib.sha256(item.data).hexdigest()
        relative = f"{digest[:2]}/{digest}"
        path = settings.ATTACHMENTS_DIR / relative
        if not path.exists():  # stored by content: the same file twice is one file
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(item.data)
            tmp.replace(path)
        rows.append(
            Attachment(
                message=message,
                filename=item.filename[:255],
                content_type=item.content_type[:120],
                size=len(item.data),
                sha256=digest,
                path=relative,
                content_id=item.content_id[:255],
                inline=item.inline,
            )
        )
    Attachment.objects.bulk_create(rows)


def _acknowledge_if_due(case: Case, place: placement.Placement, source: str, person: Person | None) -> None:
    """A short note with the case reference when the customer cannot know we have it: a new case, or a
    contact that joined an existing case by a guess. None for replies into a conversation."""
    if source not in ACKNOWLEDGED_SOURCES or place.rule not in ("", "similar"):
        return

    now = clock.now()
    if place.rule:  # joined by a guess: not if we told them lately, or wrote to them lately
        if case.acknowledged_at and case.acknowledged_at >= now - ACK_QUIET_PERIOD:
            return
        since = now - ACK_QUIET_PERIOD
        if Message.objects.filter(case=case, direction=Direction.OUTBOUND, created_at__gte=since).exists():
            return
    Case.objects.filter(pk=case.pk).update(acknowledged_at=now)
    later("frontline.intake.tasks.send_acknowledgement", case.pk, person.name if person else "")


# ---- web form, API, chat and phone: JSON the channel built from what it was given ------------------------


def _interpret_structured(row: RawMessage, *, by=None) -> Outcome:
    payload = jsonbody.loads(bytes(row.raw), max_bytes=settings.INTAKE_MAX_MESSAGE_BYTES)
    if not isinstance(payload, dict):
        raise ServiceError("the message must be a JSON object")
    body = str(payload.get("body") or "").replace("\x00", "").strip()
    subject = mail.clean(payload.get("subject") or "")[:255]
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
        case = Case.objects.select_related("customer").filter(pk=payload["case_id"]).first()
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
    case, message = _deliver(place, customer, fields, subject=subject or body.splitlines()[0][:120])
    if unproven:
        Case.objects.filter(pk=case.pk).update(unproven_claim=fields["sender"])
    if channel != Channel.MONITORING:  # an alert from the customer's monitoring is not the customer writing
        _acknowledge_if_due(case, place, row.source, person)
    return Outcome(RawStatus.PROCESSED, _placement_words(place, case), case, message)


def _structured_sender(payload: dict, case: Case | None) -> tuple[Person | None, Customer]:
    if payload.get("customer_id"):
        customer = Customer.objects.filter(pk=payload["customer_id"]).first()
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


def _as_raw(payload: dict) -> bytes:
    """What a structured channel was given, as the bytes intake stores."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


def submit(payload: dict, *, source: str, channel: str, idempotency_key: str = "", by=None) -> RawMessage:
    """Structured channels: the payload is stored as given, then interpreted."""
    return receive(_as_raw(payload), source=source, channel=channel, idempotency_key=idempotency_key, by=by)


def _submit_or_refuse(payload: dict, *, source: str, field: str, by=None) -> RawMessage:
    """For a person waiting on the answer (an agent, a chat visitor): what cannot be read is kept, and
    refused with its reason."""
    row = submit(payload, source=source, channel=payload["channel"], by=by)
    if row.status == RawStatus.QUARANTINED:
        raise ServiceError(row.reason, field=field)
    return row


# ---- the public web form: a stranger's address is confirmed before a case opens -------------------------

CONFIRM_SALT = "frontline.intake.web-form"
CONFIRM_MAX_AGE = timedelta(days=3)


def submit_web_form(fields: dict) -> RawMessage:
    """Store what the form was given and send a confirmation link to the address: the form is public and
    anyone can type anyone's address, so nothing reaches a case (or mails a customer) until the owner of the
    address presses the button. Known and unknown addresses are answered alike."""
    payload = {key: str(fields.get(key, ""))[:20_000] for key in ("name", "email", "subject", "body")}
    raw = _as_raw(payload)
    email = mail.clean(payload["email"]).lower()
    customers.normalize_contact(ContactKind.EMAIL, email)  # a clear error for a non-address, nothing stored
    if not payload["body"].strip():
        raise ServiceError("write what the problem is", field="body")
    row, _ = accept(raw, source=Source.WEB_FORM, channel=Channel.WEB)
    sent = _send_confirmation(row, email)
    RawMessage.objects.filter(pk=row.pk).update(
        status=RawStatus.UNCONFIRMED,
        reason=f"waiting for {email} to confirm by the emailed link"
        if sent
        else f"no link sent: {email} was sent {settings.FRONTLINE_LINKS_PER_ADDRESS} already this hour",
    )
    row.refresh_from_db()
    return row


def confirmation_link(row: RawMessage) -> str:
    return make_link("contact/confirm", {"raw": row.pk}, salt=CONFIRM_SALT)


def _read_confirmation(token: str, *, salt: str, key: str) -> int:
    data = read_link(
        token,
        salt=salt,
        max_age=CONFIRM_MAX_AGE,
        ids=(key,),
        expired="this link has expired; please write to us again",
    )
    return data[key]


def _send_confirmation(row: RawMessage, email: str) -> bool:
    return _send_link(
        email,
        subject="Please confirm your message to our support team",
        words="someone (we hope you) sent us a message from our web site with this address. To send it on "
        "to our team",
        link=confirmation_link(row),
    )


def _send_link(email: str, *, subject: str, words: str, link: str) -> bool:
    """A fixed text with one link, never the sender's words: the public pages cannot make us mail anyone
    what a stranger chose, nor mail one address more than FRONTLINE_LINKS_PER_ADDRESS times an hour (the
    limit per client address alone would let many clients flood one mailbox). Answers whether it was sent."""

    if (
        hits(f"rate:links-to:{email.strip().lower()}", window_seconds=3600)
        > settings.FRONTLINE_LINKS_PER_ADDRESS
    ):
        log.warning("no confirmation link sent to %s: its hourly limit is reached", email)
        return False

    delivery.send_email(
        subject=subject,
        body=(
            f"Hello,\n\n{words}, open this link and press the button:\n\n{link}\n\n"
            "If it was not you, ignore this email and nothing happens.\n\n"
            f"{settings.FRONTLINE_TEAM_SIGNATURE}"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        address=email,
        headers={"Auto-Submitted": "auto-generated", "X-Frontline-Instance": settings.FRONTLINE_INSTANCE_ID},
        message_id=delivery.new_message_id(),
    )
    return True


def raw_for_confirmation(token: str) -> RawMessage:
    row = RawMessage.objects.filter(
        pk=_read_confirmation(token, salt=CONFIRM_SALT, key="raw"), source=Source.WEB_FORM
    ).first()
    if row is None:
        raise ServiceError(NOT_VALID, field="token")
    return row


def confirm_web_form(token: str) -> RawMessage:
    """The link was followed and its button pressed: the address is proven, the message goes on."""
    row = raw_for_confirmation(token)
    if row.status != RawStatus.UNCONFIRMED:
        return row  # confirmed before: pressing twice changes nothing
    with transaction.atomic():
        RawMessage.objects.filter(pk=row.pk, status=RawStatus.UNCONFIRMED).update(status=RawStatus.PENDING)
        row = process(row)
        _verify_email(json.loads(bytes(row.raw))["email"], via="web_form")
    return row


def _verify_email(email: str, *, via: str = "chat") -> None:
    """Whoever pressed a link mailed to this address reads its mail: the address is theirs and it works."""
    email = email.strip().lower()
    for point in ContactPoint.objects.filter(kind=ContactKind.EMAIL, normalized=email).exclude(
        state=ContactState.VERIFIED
    ):
        customers.verify_contact_point(point, via=via)


# ---- phone notes and chat ----------------------------------------------------------------------------


def log_phone_call(
    *,
    agent,
    customer: Customer,
    caller: str,
    summary: str,
    duration_seconds: int = 0,
    case: Case | None = None,
) -> RawMessage:
    """An agent's note of a call from the customer: a contact like any other, threaded like any other."""

    require(agent, Capability.WORK_CASES)
    if not summary.strip():
        raise ServiceError("say what the caller wanted", field="summary")
    payload = {
        "agent_id": agent.pk,
        "customer_id": customer.pk,
        "case_id": case.pk if case else None,
        "phone": caller,
        "subject": "",
        "body": summary,
        "duration_seconds": max(int(duration_seconds or 0), 0),
        "channel": Channel.PHONE,
    }
    return _submit_or_refuse(payload, source=Source.PHONE, field="summary", by=agent)


def chat_identity(email: str) -> str:
    """What the provider's control panel signs for a signed-in customer's chat: the HMAC-SHA256 of their
    address under FRONTLINE_CHAT_IDENTITY_SECRET (as chat services' identity verification works). Unset, the
    secret is derived from the signing key, so that only Frontline itself (the demo) can sign."""
    secret = settings.FRONTLINE_CHAT_IDENTITY_SECRET or salted_hmac(CHAT_IDENTITY_SALT, "secret").hexdigest()
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


CHAT_IDENTITY_SALT = "frontline.intake.chat-identity-secret"


def _signed_identity_holds(email: str, identity: str) -> bool:
    return bool(identity) and hmac.compare_digest(chat_identity(email), identity.strip().lower())


def start_chat(*, name: str, email: str, body: str, identity: str = "") -> tuple[ChatSession, RawMessage]:
    """A chat proven by a signed identity goes on like mail; any other is held apart on a case of its own,
    and the address is sent a link that proves it."""
    body = _chat_line(body)
    proven = _signed_identity_holds(email, identity)
    payload = {
        "name": name[:120],
        "email": email,
        "body": body,
        "channel": Channel.CHAT,
        "subject": "",
        "proven": "signed identity" if proven else "",
    }
    row = _submit_or_refuse(payload, source=Source.CHAT, field="body")
    now = clock.now()
    session = ChatSession.objects.create(
        token=secrets.token_urlsafe(32),
        case=row.case,
        name=name[:120],
        email=email.strip().lower()[:255],
        started_at=row.message.created_at,
        last_seen_at=now,
    )
    if not proven:
        _send_link(
            session.email,
            subject="Did you start a chat with our support team?",
            words="someone (we hope you) started a chat with our support team with this address. If it was "
            "you, open this link and press the button, and our team can see your account and your earlier "
            "messages",
            link=make_link("chat/confirm", {"chat": session.pk}, salt=CHAT_CONFIRM_SALT),
        )
    return session, row


CHAT_CONFIRM_SALT = "frontline.intake.chat-identity"


def chat_for_confirmation(token: str) -> ChatSession:
    pk = _read_confirmation(token, salt=CHAT_CONFIRM_SALT, key="chat")
    session = ChatSession.objects.select_related("case").filter(pk=pk).first()
    if session is None:
        raise ServiceError(NOT_VALID, field="token")
    return session


def confirm_chat(token: str) -> ChatSession:
    """The link was followed and its button pressed: the chat's sender is who they said."""
    session = chat_for_confirmation(token)
    with transaction.atomic():
        cases.prove_identity(session.case, how="their emailed link", via="chat")
        _verify_email(session.email)
    return session


def _chat_line(body: str) -> str:
    if len(body) > settings.FRONTLINE_CHAT_MAX_CHARS:
        raise ServiceError(
            f"a chat message can be at most {settings.FRONTLINE_CHAT_MAX_CHARS:,} characters; "
            "send a longer text or a file by email",
            field="body",
        )
    return body


def chat_message(session: ChatSession, body: str) -> RawMessage:
    body = _chat_line(body)
    payload = {
        "case_id": session.case_id,
        "email": session.email,
        "name": session.name,
        "body": body,
        "channel": Channel.CHAT,
        "subject": "",
    }
    row = _submit_or_refuse(payload, source=Source.CHAT, field="body")
    ChatSession.objects.filter(pk=session.pk).update(last_seen_at=clock.now())
    return row


def chat_transcript(session: ChatSession, *, after: int = 0) -> list[dict]:
    """What the visitor may see: this conversation's chat lines only, never the rest of the case."""
    rows = (
        Message.objects.filter(
            case_id=session.case_id, channel=Channel.CHAT, created_at__gte=session.started_at, pk__gt=after
        )
        .select_related("author_agent")
        .order_by("pk")[:200]
    )
    return [
        {
            "id": m.pk,
            "from": "you"
            if m.direction == Direction.INBOUND
            else (m.author_agent.display_name if m.author_agent else "support"),
            "body": m.body_text,
            "at": m.created_at.isoformat(),
        }
        for m in rows
    ]
