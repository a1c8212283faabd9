"""The room app's own event kind and its typed function."""

from frontline.events.models import EVENT_KINDS
from frontline.events.services import record

FLAGGED = EVENT_KINDS.declare("roomapp.flagged", "Flagged by mail")


def flagged(*, case, by_address: str, reason: str) -> None:
    """data: by (the address that flagged), reason."""
    record(FLAGGED, actor_label=by_address, via="email", case=case, by=by_address, reason=reason)
