"""The events the intake app writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EventKind
from frontline.events.services import record


def reprocessed(*, row, by) -> None:
    """data: raw_message_id."""
    record(EventKind.INTAKE_REPROCESSED, actor=by, via="web", raw_message_id=row.pk)


def quarantined(*, row) -> None:
    """data: raw_message_id, reason (why it could not be read; the raw bytes stay on the row)."""
    record(
        EventKind.INTAKE_QUARANTINED,
        actor_label=row.source,
        via=row.source,
        raw_message_id=row.pk,
        reason=row.reason[:500],
    )
