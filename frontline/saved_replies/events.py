"""The events the saved replies app writes."""

from frontline.events.models import EVENT_KINDS
from frontline.events.services import record

SAVED_REPLY_CHANGED = EVENT_KINDS.declare("saved_reply.changed", "Saved reply written")


def saved_reply_changed(*, reply, created: bool, by, via: str) -> None:
    """data: saved_reply_id, title, created, body (the text as saved: what customers were sent from then)."""
    record(
        SAVED_REPLY_CHANGED,
        actor=by,
        via=via,
        saved_reply_id=reply.pk,
        title=reply.title,
        created=created,
        body=reply.body,
    )
