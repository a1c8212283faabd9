"""Small template helpers for the workspace."""

from django import template

from frontline.core import clock

register = template.Library()


@register.filter
def age(moment) -> str:
    """How long ago, compactly: "40 min", "5 h", "3 d". Dense lists are scanned, not read."""
    if moment is None:
        return ""
    minutes = max(int((clock.now() - moment).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} d"


@register.filter
def reply_parts(text: str) -> tuple[str, str]:
    """(what the customer wrote now, the quoted text and signature below it), for display only: the
    stored message stays whole, and the page shows the second part folded, never removed."""
    from frontline.intake.display import split_reply

    return split_reply(text or "")


@register.filter
def div60(seconds) -> int:
    return round((seconds or 0) / 60)
