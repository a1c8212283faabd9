"""Filing a contact onto its case: who wrote (a known contact point's person and account, or an unmatched
sender), the case it belongs to or a new one, its attachments, and the short acknowledgement when the customer
cannot know we have it. Mail comes here as the last interpreter, a person writing; the other channels
after their own checks."""

import hashlib
from datetime import timedelta

from django.conf import settings

from frontline.cases import services as cases
from frontline.cases.models import Attachment, Case, Channel, Direction, Message
from frontline.core import clock, rows
from frontline.customers import services as customers
from frontline.customers.models import ContactKind, Customer, Person, Standing
from frontline.intake import acknowledgements, mail, placement
from frontline.intake.interpreters import IncomingMail, Outcome
from frontline.intake.models import RawStatus, Source
from frontline.intake.reading import opening_subject
from frontline.routing import services as routing

# Channels whose sender gets an acknowledgement by email when a new case opens for them.
ACKNOWLEDGED_SOURCES = {Source.SMTP, Source.IMAP, Source.IMPORT, Source.WEB_FORM, Source.API}


# No second acknowledgement to the same case within this time: one note, not one per message.
ACK_QUIET_PERIOD = timedelta(hours=2)


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
    fields["fold_before"], fields["fold_at"] = parsed.folds  # worked out once, with the parsing
    acknowledging = row.source in ACKNOWLEDGED_SOURCES
    case, message = deliver(place, customer, fields, subject=parsed.subject, acknowledge=acknowledging)
    if place.same_thread is not None and place.same_thread.customer_id == case.customer_id:
        # A reply was read before this message and opened its own case: one mail thread, so one case.
        case = cases.merge_cases(place.same_thread, into=case, by=None, reason="one mail thread", via="email")
    refs = list(dict.fromkeys(parsed.in_reply_to + parsed.references))
    if refs:
        rows.execute_many(
            "INSERT INTO intake_reference (message_id, referenced) VALUES (%s, %s)",
            [(message.pk, ref[:255]) for ref in refs],
        )
    store_attachments(message, parsed.attachments)
    if acknowledging:
        acknowledge_if_due(case, place, person)
    return Outcome(RawStatus.PROCESSED, placement_words(place, case), case, message)


_SENDER = (
    "SELECT cp.person_id, cp.customer_id, p.name FROM customers_contactpoint cp "
    "LEFT JOIN customers_person p ON p.id = cp.person_id "
    "WHERE cp.kind = 'email' AND cp.normalized = %s ORDER BY cp.id LIMIT 1"
)


_ACCOUNTS = "SELECT customer_id FROM customers_membership WHERE person_id = %s ORDER BY customer_id"


def _sender(address: str, name: str, case: Case | None) -> tuple[Person | None, Customer]:
    """Who wrote: a known contact point's person and account, or an unmatched sender for a stranger.
    (Plain SQL: it runs for every mail, and the ORM cost more than the lookups.)"""
    found = rows.fetch_one(_SENDER, [address])
    person_id, account_id, person_name = found if found else (None, None, "")
    accounts = [pk for (pk,) in rows.fetch_all(_ACCOUNTS, [person_id])] if person_id else []
    cases.known_to_act_for(person_id, accounts)  # open_case asks it of its requester
    person = rows.new(Person, pk=person_id, name=person_name) if person_id else None
    if case is not None and (case.customer_id in accounts or case.customer_id == account_id or not found):
        # Known on this case's account, or someone new writing on a known thread (a colleague in copy).
        # The case's account by id only: threading's case is a stand-in, and nothing here opens a case.
        return person if case.customer_id in accounts else None, rows.new(Customer, pk=case.customer_id)
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
        return person, rows.get(Customer, chosen)
    if account_id:
        return None, rows.get(Customer, account_id)
    # A stranger is not a customer: an unmatched sender, until a person matches them to an account
    # (intake/matching.py). Their words never reach any account's case by a guess meanwhile.
    customer = customers.create_customer(
        name=(name or address)[:200],
        standing=Standing.UNMATCHED,
        notes=f"Wrote from {address}, an address no account holds.",
    )
    person = customers.add_person(customer, name=(name or address)[:120])
    customers.add_contact_point(person=person, kind=ContactKind.EMAIL, value=address)
    return person, customer


def deliver(place: placement.Placement, customer: Customer, fields: dict, *, subject: str, acknowledge: bool):
    """Onto its case or a new one. `acknowledge`: the customer is told we have it (`acknowledge_if_due`,
    called after); a new case is then written marked as acknowledged, not marked by a second write."""
    thread_fields = dict(
        thread_rule=place.rule, thread_confidence=place.confidence, thread_reason=place.reason[:255]
    )
    if place.case is not None:
        message = cases.record_inbound_message(place.case, **fields, **thread_fields)
        return message.case, message
    case = cases.open_case(
        customer=customer,
        **{**fields, "subject": opening_subject(subject)},
        **thread_fields,
        acknowledged_at=clock.now() if acknowledge else None,
        triage=routing.triage_unwritten,  # repeat rule, topic, owner: before the acknowledgement names them
    )
    return case, case.opening_message


def placement_words(place: placement.Placement, case: Case) -> str:
    if not place.case:
        return f"opened {case.ref}"
    confidence = f", confidence {place.confidence:.2f}" if place.rule == "similar" else ""
    return f"joined {case.ref}: {place.reason}{confidence}"


def store_attachments(message: Message, attachments: list[mail.MailAttachment]) -> None:
    stored = []
    for item in attachments:
        digest = hashlib.sha256(item.data).hexdigest()
        relative = f"{digest[:2]}/{digest}"
        path = settings.ATTACHMENTS_DIR / relative
        if not path.exists():  # stored by content: the same file twice is one file
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            try:
                tmp.write_bytes(item.data)
                tmp.replace(path)
            except OSError:  # a full disk leaves no half-written file behind
                tmp.unlink(missing_ok=True)
                raise
        stored.append(
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
    Attachment.objects.bulk_create(stored)


def acknowledge_if_due(case: Case, place: placement.Placement, person: Person | None) -> None:
    """A short note with the case reference when the customer cannot know we have it: a new case, or a
    contact that joined an existing case by a guess. None for replies into a conversation. For a contact
    on a channel we acknowledge (ACKNOWLEDGED_SOURCES, and not a monitoring alert), delivered with
    `acknowledge=True`."""
    if place.rule not in ("", "similar"):
        return
    if place.rule:  # joined by a guess: not if we told them lately, or wrote to them lately
        now = clock.now()
        if case.acknowledged_at and case.acknowledged_at >= now - ACK_QUIET_PERIOD:
            return
        since = now - ACK_QUIET_PERIOD
        if Message.objects.filter(case=case, direction=Direction.OUTBOUND, created_at__gte=since).exists():
            return
        case.acknowledged_at = now
        rows.update(case, ["acknowledged_at"])
    # (a new case was written with its mark by `deliver`)
    acknowledgements.queue(case.pk, person.name if person else "")
