"""The account's own feeds of incidents and maintenance (Atom, and iCalendar for planned work), behind
signed URLs that are their only key, and the provider's colour for the pages."""

import re
from datetime import timedelta

import icalendar
from django.conf import settings
from django.http import Http404
from django.utils import feedgenerator

from frontline.core import links
from frontline.core.errors import ServiceError
from frontline.portal import queries

FEED_SALT = "frontline.portal.feed"
CALENDAR_SALT = "frontline.portal.calendar"
# A feed URL lives in a feed reader or calendar for years; a new secret key retires every one.
FEED_LINK_AGE = timedelta(days=3650)


def feed_link(customer_id: int) -> str:
    return links.make_link("portal/feed", {"c": customer_id}, salt=FEED_SALT).rstrip("/") + ".atom"


def calendar_link(customer_id: int) -> str:
    return links.make_link("portal/calendar", {"c": customer_id}, salt=CALENDAR_SALT).rstrip("/") + ".ics"


def customer_for(token: str, salt: str) -> int:
    try:
        data = links.read_link(token, salt=salt, max_age=FEED_LINK_AGE, ids=("c",), expired="expired")
    except ServiceError as exc:
        raise Http404("not found") from exc
    return data["c"]


def atom(customer_id: int) -> bytes:
    site = settings.SITE_URL.rstrip("/")
    feed = feedgenerator.Atom1Feed(
        title=f"{settings.FRONTLINE_PROVIDER_NAME}: incidents and maintenance affecting you",
        link=f"{site}/portal/incidents/",
        description="",
        language="en",
    )
    for incident in queries.incidents(customer_id, limit=50):
        updates = list(incident.updates.all())
        latest = updates[-1] if updates else None
        feed.add_item(
            title=f"{incident.ref} {incident.title} ({incident.get_state_display()})",
            link=f"{site}/portal/incidents/#{incident.ref}",
            description="\n\n".join(f"{u.posted_at:%Y-%m-%d %H:%M} UTC {u.body}" for u in updates),
            unique_id=f"{site}/portal/incidents/{incident.ref}",
            pubdate=incident.started_at,
            updateddate=latest.posted_at if latest else incident.started_at,
        )
    for work in queries.maintenances(customer_id, limit=50, cancelled=True):
        feed.add_item(
            title=f"{work.ref} {work.title} ({work.get_status_display()})",
            link=f"{site}/portal/incidents/#{work.ref}",
            description=f"{work.starts_at:%Y-%m-%d %H:%M} to {work.ends_at:%Y-%m-%d %H:%M} UTC. {work.body}",
            unique_id=f"{site}/portal/maintenance/{work.ref}",
            pubdate=work.created_at,
            updateddate=work.created_at,
        )
    return feed.writeString("utf-8").encode("utf-8")


def ical(customer_id: int) -> bytes:
    """Planned work reaching the account, one entry per maintenance with the UID and SEQUENCE its notices
    carry, so a calendar that imported a notice updates that same entry."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.FRONTLINE_PROVIDER_NAME}//Frontline portal//EN")
    calendar.add("version", "2.0")
    for work in queries.maintenances(customer_id, limit=200, cancelled=True):
        entry = icalendar.Event()
        entry.add("uid", work.uid)
        entry.add("sequence", work.sequence)
        entry.add("summary", f"{work.title} ({work.get_impact_display()})")
        entry.add("description", work.body)
        entry.add("dtstart", work.starts_at)
        entry.add("dtend", work.ends_at)
        entry.add("dtstamp", work.created_at)
        entry.add("status", "CANCELLED" if work.status == "CANCELLED" else "CONFIRMED")
        calendar.add_component(entry)
    return calendar.to_ical()


HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def brand_colours(given: str) -> tuple[str, str]:
    """(background, text) for the provider's colour: the text white or near-black, whichever reads at
    WCAG AA (4.5:1); a colour that reaches it with neither is darkened until white does."""
    match = HEX.match(given.strip())
    rgb = tuple(int(match.group(1)[i : i + 2], 16) for i in (0, 2, 4)) if match else (0x1F, 0x5F, 0xBF)
    white, ink = (255, 255, 255), (0x1D, 0x23, 0x2B)
    while True:
        if contrast(rgb, white) >= 4.5:
            text = "#ffffff"
            break
        if contrast(rgb, ink) >= 4.5:
            text = "#1d232b"
            break
        rgb = tuple(int(c * 0.9) for c in rgb)
    return "#{:02x}{:02x}{:02x}".format(*rgb), text
