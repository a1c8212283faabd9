"""The events operations writes: what a retention pass removed, under which settings."""

from frontline.events.models import EVENT_KINDS
from frontline.events.services import record

RETENTION_APPLIED = EVENT_KINDS.declare("operations.retention_applied", "Old data removed under retention")


def retention_applied(*, applied) -> None:
    """data: raw_messages, attachments, files and jobs removed; the settings (days) that removed them."""
    record(
        RETENTION_APPLIED,
        actor=None,
        via="retention",
        raw_messages=applied.raw_messages,
        attachments=applied.attachments,
        files=applied.files,
        jobs=applied.jobs,
        settings=applied.settings,
    )
