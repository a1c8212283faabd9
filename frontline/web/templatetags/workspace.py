"""Small template helpers for the workspace."""

import re

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

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


# Image types a browser shows without running anything (SVG can carry scripts, so it is downloaded).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@register.simple_tag
def html_with_images(message, case_ref: str):
    """The sender's sanitised HTML with its inline images (cid: links) pointing at their stored files."""
    images = {
        a.content_id: reverse("cases:attachment", args=[case_ref, a.pk]) + "?inline=1"
        for a in message.attachments.all()
        if a.content_id and a.content_type in INLINE_IMAGE_TYPES
    }

    def link(match):
        return images.get(match.group(1), match.group(0))

    # body_html was cleaned by nh3 at intake; only cid: references are rewritten, to our own URLs.
    return mark_safe(re.sub(r"cid:([^\"'\s>]+)", link, message.body_html))
