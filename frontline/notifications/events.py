"""The events the notifications app writes: one function per kind, its payload keys fixed here.

`EVIDENCE` says, for each kind the customer's evidence log shows, which payload key holds the address,
the status and the answer, so the log reads fixed keys instead of guessing.
"""

from frontline.events.models import EventKind
from frontline.events.services import record


def notification_started(*, notification, ladder, by, via: str) -> None:
    """data: notification_id, title, ladder (its name), subject ("kind:id" of what it is about)."""
    record(
        EventKind.NOTIFICATION_STARTED,
        actor=by,
        actor_label="system",
        via=via,
        case=notification.case,
        customer=notification.customer,
        notification_id=notification.pk,
        title=notification.title,
        ladder=ladder.name,
        subject=f"{notification.subject_kind}:{notification.subject_id}",
    )


def fanout_started(*, fanout, customers: int, ladder, by, via: str) -> None:
    """data: fanout_id, customers (how many), title, ladder, subject."""
    record(
        EventKind.FANOUT_STARTED,
        actor=by,
        actor_label="system",
        via=via,
        fanout_id=fanout.pk,
        customers=customers,
        title=fanout.title,
        ladder=ladder.name,
        subject=f"{fanout.subject_kind}:{fanout.subject_id}",
    )


def notification_exhausted(*, notification) -> None:
    """Every rung tried, nobody answered. data: notification_id, title, rungs."""
    record(
        EventKind.NOTIFICATION_EXHAUSTED,
        actor_label="worker",
        via="worker",
        case=notification.case,
        customer=notification.customer,
        notification_id=notification.pk,
        title=notification.title,
        rungs=len(notification.steps),
    )


def notification_acknowledged(*, notification, who: str, detail: str, by, via: str) -> None:
    """data: notification_id, title, who (the name, address or number that answered), detail (their words)."""
    record(
        EventKind.NOTIFICATION_ACKNOWLEDGED,
        actor=by,
        actor_label=who or via,
        via=via,
        case=notification.case,
        customer=notification.customer,
        notification_id=notification.pk,
        title=notification.title,
        who=who,
        detail=detail[:500],
    )


def notification_cancelled(*, notification, reason: str, by) -> None:
    """data: notification_id, reason."""
    record(
        EventKind.NOTIFICATION_CANCELLED,
        actor=by,
        via="web",
        case=notification.case,
        customer=notification.customer,
        notification_id=notification.pk,
        reason=reason,
    )


def verification_sent(*, customer, point, attempt, by, via: str) -> None:
    """We asked the owner of a contact point to confirm it. data: contact_id, value, outcome (the attempt's
    status as shown), detail (the transport's answer)."""
    record(
        EventKind.CONTACT_VERIFICATION_SENT,
        actor=by,
        actor_label="system",
        via=via,
        customer=customer,
        contact_id=point.pk,
        value=point.value,
        outcome=attempt.get_status_display(),
        detail=attempt.reply_text[:500],
    )


# kind -> (address key, subject key, status key, answer key): "" where the kind has none.
EVIDENCE = {
    EventKind.NOTIFICATION_STARTED: ("", "title", "", ""),
    EventKind.NOTIFICATION_ACKNOWLEDGED: ("who", "title", "", "detail"),
    EventKind.NOTIFICATION_EXHAUSTED: ("", "title", "", ""),
    EventKind.CONTACT_FAILING: ("value", "", "", "reason"),
    EventKind.CONTACT_VERIFIED: ("", "", "", ""),
    EventKind.CONTACT_VERIFICATION_SENT: ("value", "", "outcome", "detail"),
    EventKind.DELIVERY_REPORTED: ("address", "", "outcome", "detail"),
}
