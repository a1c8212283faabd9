"""Sending to a customer and recording the attempt, and reading what comes back about it.

An attempt is committed as "sending" before we talk to the server, so a crash mid-send leaves a trace
rather than nothing; the answer is written after. A permanent failure of an address marks the contact
point failing and gives staff a to-do to fix it, attached to the customer, before it is needed again.
"""

import contextlib
import re
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from frontline.core import clock, rows
from frontline.customers import services as customers
from frontline.customers.models import ContactPoint, ContactState
from frontline.delivery import events, signals
from frontline.delivery.models import AttemptStatus, DeliveryAttempt
from frontline.todos import services as todos
from frontline.todos.models import ToDoKind

_ENHANCED = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def enhanced_status(text: str) -> str:
    match = _ENHANCED.search(text or "")
    return match.group(1) if match else ""


# RFC 3463's permanent address statuses about the recipient: other (5.1.0), bad mailbox (5.1.1), bad
# system (5.1.2), bad syntax (5.1.3), mailbox moved (5.1.6), no mail accepted by the domain (5.1.10). Not
# 5.1.7 or 5.1.8: those are about our sending address, not theirs.
CONDEMNING = {"5.1.0", "5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10"}


def condemns_address(status: str) -> bool:
    """The address itself is bad (no such user, no such domain). Anything else may pass."""
    return status in CONDEMNING


def mail_domain() -> str:
    """The domain we send from: the right-hand side of our Message-IDs."""
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "frontline.invalid"


def new_message_id() -> str:
    """A Message-ID of ours, in the domain we send from: how replies and reports find what we sent."""
    return make_msgid(domain=mail_domain())


def send_email(
    *,
    subject: str,
    body: str,
    from_email: str,
    address: str,
    headers: dict,
    message_id: str,
    case=None,
    message=None,
    customer=None,
    contact_point: ContactPoint | None = None,
    connection=None,
) -> tuple[DeliveryAttempt, bytes]:
    """Hand one email to Django's mail backend and record the server's answer. Never raises for a send.
    `connection`: an open session of that backend to send it in; by default, one of its own."""
    # Plain SQL (core/rows.py) for the attempt's two writes: every acknowledgement makes one.
    attempt = rows.new(
        DeliveryAttempt,
        case=case,
        message=message,
        customer=customer or (case.customer if case else None),
        contact_point=contact_point,
        channel="email",
        address=address,
        header_message_id=message_id,
        attempted_at=clock.now(),
    )
    rows.insert(attempt)
    email = EmailMessage(
        subject=subject,
        body=body,
        from_email=from_email,
        to=[address],
        headers={**headers, "Message-ID": message_id},
    )
    # Built once: the bytes kept are the bytes sent (a second build would stamp its own Date), and building
    # and flattening a message was a sixth of an acknowledgement's CPU.
    raw = email.message().as_bytes()
    email.prepared_bytes = raw.replace(b"\n", b"\r\n")  # what as_bytes(linesep="\r\n") writes
    status, code, text = hand_over(email, connection)
    attempt.status, attempt.reply_code, attempt.reply_text = status, code, text[:4000]
    attempt.answered_at = clock.now()
    with transaction.atomic():
        rows.update(attempt, ["status", "reply_code", "reply_text", "answered_at"])
        if status == AttemptStatus.ACCEPTED and contact_point is not None:
            ContactPoint.objects.filter(pk=contact_point.pk).update(last_delivery_ok_at=attempt.answered_at)
        elif status == AttemptStatus.REFUSED:
            _condemn(attempt, enhanced_status(text), text)
    return attempt, raw


def open_session():
    """An open session of the mail backend for a batch of sends (Django's backend would open one a message).
    Raises what the backend raised when the server cannot be reached."""
    session = get_connection()
    session.open()
    return session


def close_session(session) -> None:
    """Close a batch's session, if there is one. Closing a broken session must not hide the answers already
    recorded: whatever it raises is dropped."""
    if session is not None:
        with contextlib.suppress(Exception):
            session.close()


def hand_over(email: EmailMessage, connection=None) -> tuple[str, int | None, str]:
    """Send one message; answer (status, SMTP code, the server's words). Never raises for a send.

    `connection` lets a caller sending many messages keep one SMTP session open.
    """
    code, text = None, ""
    try:
        # A misconfigured backend is a failed send, recorded like one.
        email.connection = connection or get_connection()
        sent = email.send(fail_silently=False)
        answer = getattr(email, "delivery_answer", None)
        if answer is not None:
            code, text = answer.code, answer.text
            status = AttemptStatus.ACCEPTED if sent else _status_for_code(code)
        else:  # a backend of Django's that keeps no answer (console, file, memory)
            status = AttemptStatus.ACCEPTED if sent else AttemptStatus.REFUSED
            text = (
                f"accepted by {type(email.connection).__name__}" if sent else "the backend accepted nothing"
            )
    except Exception as exc:  # the transport's failure is the evidence; it is recorded, never swallowed
        code = getattr(exc, "smtp_code", None)
        raw_text = getattr(exc, "smtp_error", None)
        text = (raw_text.decode("utf-8", "replace") if isinstance(raw_text, bytes) else "") or (
            f"{type(exc).__name__}: {exc}"
        )
        status = _status_for_code(code)
    return status, code, text


def _status_for_code(code: int | None) -> str:
    if code is not None and 400 <= code < 500:
        return AttemptStatus.DEFERRED
    return AttemptStatus.REFUSED


def _condemn(attempt: DeliveryAttempt, status: str, detail: str) -> None:
    """A failure that proves the address bad (5.1.x) marks its contact point failing, with a to-do."""
    if condemns_address(status):
        condemn_contact(attempt, status, detail)


def condemn_contact(attempt: DeliveryAttempt, status: str, detail: str) -> None:
    """Mark the attempt's contact point failing and give staff a to-do to fix it before it is needed."""
    point = attempt.contact_point
    if point is None or point.state in ContactState.unusable():
        return
    reason = f"{status} from the receiving side: {detail}"[:1000]
    customers.mark_contact_failing(point, reason=reason, via=attempt.channel)
    todos.raise_todo(
        kind=ToDoKind.FIX_CONTACT,
        title=f"Fix {point.value}: {attempt.channel} to it fails ({status})",
        detail=f"Delivery attempt #{attempt.pk} on {attempt.attempted_at:%Y-%m-%d %H:%M} UTC: {detail}",
        customer=attempt.customer,
        case=attempt.case,
        contact_point=point,
        evidence={"attempt_id": attempt.pk, "status": status, "detail": detail[:1000]},
    )


@transaction.atomic
def _attempt_reported(report, about_message_id: str) -> DeliveryAttempt | None:
    """The send a report's line is about: the one with the reported Message-ID to that recipient. One
    Message-ID sent to several addresses answers for the recipient the line names, never for the others;
    by Message-ID alone only when the line names no recipient or the message went to one address; by the
    recipient alone (its latest send) when the report quotes no Message-ID of ours."""
    attempts = DeliveryAttempt.objects.select_related("contact_point", "case", "customer").order_by("-pk")
    if about_message_id:
        sent = attempts.filter(header_message_id=about_message_id)
        if report.recipient:
            exact = sent.filter(address__iexact=report.recipient).first()
            if exact is not None:
                return exact
            addresses = {address.lower() for address in sent.values_list("address", flat=True)[:50]}
            return sent.first() if len(addresses) == 1 else None
        return sent.first()
    if report.recipient:
        return attempts.filter(address__iexact=report.recipient).first()
    return None


def record_delivery_report(reports, *, about_message_id: str, raw_message_id: int) -> list[DeliveryAttempt]:
    """Match each line of a delivery status notification to the attempt it answers, and act on it."""
    matched = []
    for report in reports:
        attempt = _attempt_reported(report, about_message_id)
        if attempt is None:
            continue
        status = report.status or enhanced_status(report.diagnostic)
        if report.action == "delivered" or status.startswith("2."):
            attempt.status = AttemptStatus.DELIVERED
        elif report.action == "failed" or (not report.action and status.startswith("5.")):
            # Failed: the server gave up, after days of a 4.x.x too ("Cannot send message for 5 days"); a
            # report with no Action line failed when its status is 5.x.x. Only a 5.1.x condemns the address.
            attempt.status = AttemptStatus.BOUNCED
        else:  # delayed, or a 4.x.x still being tried: recorded, the address not condemned
            attempt.status = AttemptStatus.DELAYED
        attempt.report_status, attempt.report_detail = status, report.diagnostic[:2000]
        attempt.report_at = clock.now()
        attempt.save(update_fields=["status", "report_status", "report_detail", "report_at"])
        events.delivery_reported(
            attempt=attempt, status=status, detail=report.diagnostic, raw_message_id=raw_message_id
        )
        if attempt.status == AttemptStatus.BOUNCED:
            _condemn(attempt, status, report.diagnostic or status)
            signals.attempt_bounced.send(sender=DeliveryAttempt, attempt=attempt)
        matched.append(attempt)
    return matched
