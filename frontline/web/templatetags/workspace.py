"""Small template helpers for the workspace."""

import re

from django import template
from django.template.loader import select_template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from frontline.cases.models import Channel, Direction
from frontline.core import clock
from frontline.intake.display import Reply, parts, split_reply

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
def minutes_words(minutes) -> str:
    """A span in words a person reads at a glance: "40 minutes", "5 hours", "3 days"."""
    minutes = max(int(minutes or 0), 0)
    for size, unit in ((1440, "day"), (60, "hour")):
        if minutes >= 2 * size:
            return f"{minutes // size} {unit}s"
    if minutes >= 60:
        return "1 hour"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@register.filter
def reply_parts(message) -> Reply:
    """Of a customer's mail, (the quote a bottom-posted answer answers, what they wrote now, the quoted text
    and signature below it), for display only: slices of the stored text, the first and last shown folded,
    never removed. Where intake worked out the folds when the mail was read, the page uses them; else it
    works them out (once per text, cached)."""
    text = message.body_text or ""
    if message.channel != Channel.EMAIL or message.direction != Direction.INBOUND:
        return Reply("", text.rstrip(), "")  # our own words, the rules' and what is typed into a form: as is
    if message.fold_before is not None or message.fold_at is not None:
        return parts(text, message.fold_before, message.fold_at)
    return split_reply(text)


@register.filter
def clock_words(c) -> str:
    """Where a service clock stands, as a person says it: "5 days overdue", "2 hours left of 4 hours",
    "met in 40 minutes (target 2 hours)", "paused at 3 hours of 1 day"."""
    elapsed, target = round((c.elapsed_seconds or 0) / 60), round((c.target_seconds or 0) / 60)
    if c.state == "breached":
        return f"{minutes_words(elapsed - target)} overdue (target {minutes_words(target)})"
    if c.state == "met":
        return f"met in {minutes_words(elapsed)} (target {minutes_words(target)})"
    if c.state == "paused":
        return f"paused at {minutes_words(elapsed)} of {minutes_words(target)}"
    return f"{minutes_words(target - elapsed)} left of {minutes_words(target)}"


@register.filter
def div60(seconds) -> int:
    return round((seconds or 0) / 60)


# Image types a browser shows without running anything (SVG can carry scripts, so it is downloaded).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


_REMOTE_IMAGE = re.compile(r"<img\b[^>]*?\bsrc=\"(https?:)?//([^/\"]+)[^\"]*\"[^>]*>", re.IGNORECASE)


@register.simple_tag
def html_with_images(message, case_ref: str, images_of: str = ""):
    """The sender's sanitised HTML with its inline images (cid: links) pointing at their stored files, and
    remote images replaced by a placeholder naming their host, unless this message's images were asked for:
    a remote image is how a sender learns who read the mail, and when."""
    images = {
        a.content_id: reverse("cases:attachment", args=[case_ref, a.pk]) + "?inline=1"
        for a in message.attachments.all()
        if a.content_id and a.content_type in INLINE_IMAGE_TYPES
    }

    def link(match):
        return images.get(match.group(1), match.group(0))

    # body_html was cleaned by nh3 at intake (attributes quoted alike); cid: references point at our URLs.
    html = re.sub(r"cid:([^\"'\s>]+)", link, message.body_html)
    if images_of == str(message.pk):
        return mark_safe(html)
    hosts: list[str] = []

    def placeholder(match):
        host = match.group(2).lower()
        hosts.append(host)
        return format_html('<span class="remote-image">[image from {}]</span>', host)

    html = _REMOTE_IMAGE.sub(placeholder, html)
    if not hosts:
        return mark_safe(html)
    notice = format_html(
        '<p class="small remote-images">Remote images from {} are not loaded. '
        '<a href="?images={}#message-{}">Load images</a></p>',
        ", ".join(sorted(set(hosts))),
        message.pk,
        message.pk,
    )
    return mark_safe(notice + html)


@register.simple_tag(takes_context=True)
def timeline_entry(context, event) -> str:
    """An event's own lines on a timeline, from the partial beside the app that writes its kind:
    `timeline/<kind>.html`, else `timeline/<app prefix>.html` (policy.*), else nothing beyond its label.
    A new app's kinds bring their partials with them; the case page names none of them."""
    kind = event.kind
    try:
        partial = select_template([f"timeline/{kind}.html", f"timeline/{kind.split('.')[0]}.html"])
    except template.TemplateDoesNotExist:
        return ""
    return partial.render({"event": event, "case": context.get("case")}, context.get("request"))
