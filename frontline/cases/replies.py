"""What we write on a case: replies by email or in the live chat, the acknowledgement that tells a customer
we have their problem, and internal notes.

A reply is committed before it is handed to the mail server, and the server's answer is recorded after:
never lost, never silently failed."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.cases import events
from frontline.cases.lifecycle import (
    add_message,
    answered,
    set_priority,
    transition,
)
from frontline.cases.models import Case, CaseStatus, Channel, Direction, Message
from frontline.core import clock, rows
from frontline.core.doors import door
from frontline.core.errors import Conflict, ServiceError
from frontline.core.texts import render_text
from frontline.customers.models import (
    ContactKind,
    ContactPoint,
    ContactState,
)
from frontline.customers.queries import points_by_customer
from frontline.delivery import services as delivery


def reply_address(case: Case) -> str:
    """support+C-12@domain: a reply to it threads by the address even if the subject is rewritten."""
    local, _, domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")
    return f"{local}+{case.ref}@{domain}" if local else settings.DEFAULT_FROM_EMAIL


# The thread's newest Message-IDs, never the one being sent. Plain SQL, as the address lookup below: every new
# case's acknowledgement asks, and building these queries with the ORM cost more than running them.
_THREAD = (
    "SELECT message_id, direction FROM cases_message WHERE case_id = %s AND channel = %s "
    "AND message_id <> '' AND id <> %s ORDER BY created_at DESC, id DESC LIMIT 20"
)
# A person's working email address: verified before unverified, then the oldest.
_PERSONS_EMAIL = (
    f"t0.kind = %s AND t0.state NOT IN ({', '.join(['%s'] * len(ContactState.unusable()))}) "
    "AND t0.person_id = %s ORDER BY t0.state DESC, t0.id LIMIT 1"
)


def _thread_headers(case: Case, sending: Message) -> dict:
    """In-Reply-To and References to the customer's last mail and the thread's Message-IDs, never the one
    being sent (a mail that refers to itself threads under itself); none when it starts the thread."""
    ids = rows.fetch_all(_THREAD, [case.pk, Channel.EMAIL, sending.pk])
    headers = {
        "Reply-To": reply_address(case),
        "X-Frontline-Case": case.ref,
        "X-Frontline-Instance": settings.FRONTLINE_INSTANCE_ID,
    }
    if ids:
        last_inbound = next((mid for mid, direction in ids if direction == Direction.INBOUND), ids[0][0])
        headers["In-Reply-To"] = last_inbound
        headers["References"] = " ".join(mid for mid, _ in reversed(ids))
    return headers


def send_on_case(
    case: Case,
    *,
    body: str,
    author: Agent | None,
    automatic: bool = False,
    origin: str = "",
    connection=None,
) -> tuple[Message, object]:
    """Commit our message, then hand it to the mail server, then record the answer: never lost, never
    silently failed. Answers the message and its delivery attempt (None when there is no address).
    `connection`: an open SMTP session to send it in (a batch of acknowledgements shares one)."""

    with transaction.atomic():
        # Plain SQL: every acknowledgement passes here, and building the ORM's join cost more than running it.
        case = rows.get(Case, case.pk, lock=True, follow=("customer",))
        point = _recipient_for(case)
        message = add_message(
            case,
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            author_agent=author,
            sender=settings.DEFAULT_FROM_EMAIL,
            recipients=point.value if point else "",
            subject=f"[{case.ref}] {case.subject}"[:255],
            body_text=body,
            message_id=delivery.new_message_id(),
            origin=origin,
        )
    if point is None:
        error = "no working email address for this customer"
        Message.objects.filter(pk=message.pk).update(send_error=error)
        message.send_error = error
        return message, None
    headers = _thread_headers(case, message)
    # What other apps add under our words in the mail (the portal's link to follow the case online); the
    # message on the case keeps our words, its raw source the mail as sent.
    footers = [line for add in door("FRONTLINE_CASE_MAIL_FOOTERS") if (line := add(case))]
    mailed = "\n\n".join([body, *footers])
    if automatic:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer it
    attempt, raw = delivery.send_email(
        subject=message.subject,
        body=mailed,
        from_email=settings.DEFAULT_FROM_EMAIL,
        address=point.value,
        headers=headers,
        message_id=message.message_id,
        case=case,
        message=message,
        contact_point=point,
        connection=connection,
    )
    if attempt.failed:
        message.send_error = f"{attempt.reply_code or ''} {attempt.reply_text}".strip()
    else:
        message.sent_at = attempt.answered_at
    message.raw_source = raw
    rows.update(message, ["send_error", "sent_at", "raw_source"])
    return message, attempt


@dataclass(frozen=True)
class Caution:
    """What a reply check (`FRONTLINE_REPLY_CHECKS`) says before a reply goes: why to think again, and the
    evidence that makes the question unnecessary."""

    message: str
    evidence: tuple[str, ...] = ()


class NeedsConfirmation(Conflict):
    """The reply was held: sending it needs the agent's confirmation (`confirmed=True`)."""

    def __init__(self, cautions: list[Caution]):
        self.cautions = cautions
        super().__init__(
            " ".join(c.message for c in cautions) + " Send it again confirmed to send it anyway."
        )


ORIGIN = re.compile(r"saved:\d{1,18}|case:C-\d{1,18}")


def reply_to_case(
    case: Case, *, by: Agent, body: str, confirmed: bool = False, via: str = "web", origin: str = ""
) -> Message:
    """Record an agent's reply, send it by email, and record what the mail server answered. A reply a check
    cautions against (asking a customer hit by our incident to run diagnostics) waits for `confirmed`.
    `origin`: what the reply started from ("saved:12", "case:C-40"), kept on the message."""
    require(by, Capability.WORK_CASES)
    body = body.strip()
    if not body:
        raise ServiceError("the reply is empty", field="body")
    if origin and not ORIGIN.fullmatch(origin):
        raise ServiceError("origin is saved:<id> or case:C-<number>", field="origin")
    if not confirmed:
        cautions = [found for check in door("FRONTLINE_REPLY_CHECKS") if (found := check(case, body))]
        if cautions:
            raise NeedsConfirmation(cautions)
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
        now = clock.now()
        answered(case, now)
        case.updated_at = now
        if case.status == CaseStatus.NEW:
            transition(case, CaseStatus.OPEN, by=by, via=via)
        set_priority(case)
        case.save()
    if _last_inbound_channel(case) == Channel.CHAT and case.chat_sessions.exists():
        return _reply_in_chat(case, by=by, body=body, via=via, origin=origin)
    message, _attempt = send_on_case(case, body=body, author=by, origin=origin)
    with transaction.atomic():
        if message.send_error:
            events.reply_failed(case=case, message=message, by=by, via=via)
        else:
            events.reply_sent(case=case, message=message, to=message.recipients, by=by, via=via)
    return message


def _last_inbound_channel(case: Case) -> str:
    return (
        Message.objects.filter(case=case, direction=Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .values_list("channel", flat=True)
        .first()
        or ""
    )


@transaction.atomic
def _reply_in_chat(case: Case, *, by: Agent, body: str, via: str, origin: str) -> Message:
    """A live chat is answered in the chat: the visitor's widget polls for it."""
    message = add_message(
        case,
        channel=Channel.CHAT,
        direction=Direction.OUTBOUND,
        author_agent=by,
        sender=str(by),
        body_text=body,
        sent_at=clock.now(),
        origin=origin,
    )
    events.reply_sent(case=case, message=message, to="chat", by=by, via=via)
    return message


def confirm_receipt(case: Case, *, person_name: str = "", connection=None) -> Message | None:
    """The short human note that tells a customer we have their problem, with the case reference.
    `connection`: an open SMTP session to send it in."""
    case = rows.get(Case, case.pk, follow=("customer", "assignee"))
    body = render_text(
        "cases/acknowledgement",
        first_name=person_name.split()[0] if person_name.split() else "",
        ref=case.ref,
        owner=case.assignee.display_name if case.assignee_id else _("one of our team"),
        team=settings.FRONTLINE_TEAM_SIGNATURE,
        notes=[note for add in door("FRONTLINE_ACKNOWLEDGEMENT_NOTES") if (note := add(case))],
    )
    message, attempt = send_on_case(case, body=body, author=None, automatic=True, connection=connection)
    with transaction.atomic():
        events.acknowledged(case=case, message=message, attempt=attempt)
    return message


def _recipient_for(case: Case) -> ContactPoint | None:
    """The requester's working email address, else any working email address of the account."""
    if case.requester_id:
        point = rows.find(
            ContactPoint, _PERSONS_EMAIL, [ContactKind.EMAIL, *ContactState.unusable(), case.requester_id]
        )
        if point:
            return point
    emails = ContactPoint.objects.filter(kind=ContactKind.EMAIL).exclude(state__in=ContactState.unusable())
    candidates = points_by_customer([case.customer_id], emails).get(case.customer_id, [])
    # verified before unverified, then the oldest
    return min(candidates, key=lambda point: (point.state != ContactState.VERIFIED, point.pk), default=None)


@transaction.atomic
def add_internal_note(case: Case, *, by: Agent, body: str, via: str = "web") -> Message:
    require(by, Capability.WORK_CASES)
    if not body.strip():
        raise ServiceError("the note is empty", field="body")
    message = add_message(
        case, channel=Channel.NOTE, direction=Direction.INTERNAL, author_agent=by, body_text=body.strip()
    )
    events.note_added(case=case, message=message, by=by, via=via)
    Case.objects.filter(pk=case.pk).update(updated_at=clock.now())
    return message
