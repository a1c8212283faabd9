"""The events the delivery app writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EventKind
from frontline.events.services import record


def delivery_reported(*, attempt, status: str, detail: str, raw_message_id: int | None) -> None:
    """A mail server's report on one of our sends. data: attempt_id, address, status (the enhanced status
    code, 5.1.1), outcome (delivered, bounced or delayed), detail (the server's words), raw_message_id."""
    record(
        EventKind.DELIVERY_REPORTED,
        actor_label="mail server",
        via="email",
        case=attempt.case,
        customer=attempt.customer,
        attempt_id=attempt.pk,
        address=attempt.address,
        status=status,
        outcome=attempt.status,
        detail=detail[:500],
        raw_message_id=raw_message_id,
    )
