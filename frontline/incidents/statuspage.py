"""The public status page and its feeds: what customers and everyone else may see, nothing of any one
customer. Rendered once and kept in the shared cache (a few seconds, dropped on every incident update and
maintenance change), so that an outage's crowd of visitors reads bytes from the cache, not the database.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import feedgenerator

from frontline.core import clock
from frontline.incidents.models import Incident, IncidentState, Maintenance, MaintenanceStatus
from frontline.monitoring.models import Component, Health, StatePeriod

DAYS = 90
CACHE_SECONDS = 15
KEYS = ("status:page", "status:atom", "status:rss", "status:json")


@dataclass
class Rendered:
    body: bytes
    etag: str
    content_type: str


def forget() -> None:
    """Drop the cached page and feeds once the change that makes them stale commits."""
    transaction.on_commit(lambda: cache.delete_many(KEYS))


def _cached(key: str, content_type: str, build) -> Rendered:
    found = cache.get(key)
    if found is None:
        body = build()
        found = Rendered(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', content_type)
        cache.set(key, found, CACHE_SECONDS)
    return found


def uptime(components: list[Component], now) -> dict[int, list[dict]]:
    """Per component, DAYS bars (oldest first): the share of the day it was up, and its worst state.
    Degraded time counts half against uptime; down time counts whole."""
    start = (now - timedelta(days=DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    lost: dict[int, list[float]] = defaultdict(lambda: [0.0] * DAYS)
    worst: dict[int, list[str]] = defaultdict(lambda: [Health.OK] * DAYS)
    periods = StatePeriod.objects.filter(component__in=components, started_at__lt=now).exclude(
        ended_at__lt=start
    )
    for period in periods:
        begin, end = max(period.started_at, start), min(period.ended_at or now, now)
        weight = 1.0 if period.state == Health.DOWN else 0.5
        while begin < end:
            day = (begin - start).days
            day_end = start + timedelta(days=day + 1)
            piece = min(end, day_end) - begin
            if 0 <= day < DAYS:
                lost[period.component_id][day] += weight * piece.total_seconds()
                if period.state == Health.DOWN or worst[period.component_id][day] == Health.OK:
                    worst[period.component_id][day] = period.state
            begin = day_end
    bars = {}
    for component in components:
        bars[component.pk] = [
            {
                "day": (start + timedelta(days=d)).date(),
                "up": max(0.0, 1 - lost[component.pk][d] / 86400),
                "state": worst[component.pk][d],
            }
            for d in range(DAYS)
        ]
    return bars


def _context(now) -> dict:
    components = list(Component.objects.filter(public=True).order_by("group", "name"))
    bars = uptime(components, now)
    groups: dict[str, list] = defaultdict(list)
    for component in components:
        days = bars[component.pk]
        component.bars = days
        component.uptime = 100 * sum(day["up"] for day in days) / DAYS
        groups[component.group].append(component)
    open_incidents = list(
        Incident.objects.filter(public=True, state__in=IncidentState.open_values())
        .prefetch_related("updates", "components")
        .order_by("-started_at")
    )
    recent = list(
        Incident.objects.filter(
            public=True, state=IncidentState.RESOLVED, resolved_at__gte=now - timedelta(days=14)
        )
        .prefetch_related("updates", "components")
        .order_by("-resolved_at")[:20]
    )
    maintenance = list(
        Maintenance.objects.filter(
            public=True,
            status__in=[MaintenanceStatus.CONFIRMED, MaintenanceStatus.IN_PROCESS],
            ends_at__gte=now,
        )
        .prefetch_related("components")
        .order_by("starts_at")[:20]
    )
    worst = max(
        (c.state for c in components), key=[Health.OK, Health.DEGRADED, Health.DOWN].index, default="ok"
    )
    return {
        "provider": settings.FRONTLINE_PROVIDER_NAME,
        "groups": sorted(groups.items()),
        "open_incidents": open_incidents,
        "recent": recent,
        "maintenance": maintenance,
        "overall": worst,
        "now": now,
        "days": DAYS,
    }


def page() -> Rendered:
    return _cached(
        "status:page",
        "text/html; charset=utf-8",
        lambda: render_to_string("incidents/status.html", _context(clock.now())).encode(),
    )


def _entries(now):
    """Incident updates and maintenance notices of the last 30 days, newest first."""
    since = now - timedelta(days=30)
    entries = []
    for incident in (
        Incident.objects.filter(public=True, updates__posted_at__gte=since)
        .distinct()
        .prefetch_related("updates")
    ):
        for update in incident.updates.all():
            if update.posted_at >= since:
                entries.append(
                    {
                        "id": f"{settings.SITE_URL}/status/#incident-{incident.pk}-{update.pk}",
                        "title": f"{IncidentState(update.state).label}: {incident.title}",
                        "text": update.body,
                        "at": update.posted_at,
                    }
                )
    for m in Maintenance.objects.filter(public=True, created_at__gte=since):
        entries.append(
            {
                "id": f"{settings.SITE_URL}/status/#maintenance-{m.pk}-{m.sequence}",
                "title": f"Planned maintenance: {m.title} ({m.get_status_display()})",
                "text": f"{m.starts_at:%Y-%m-%d %H:%M} to {m.ends_at:%Y-%m-%d %H:%M} UTC. "
                f"Impact: {m.get_impact_display()}. {m.body}",
                "at": m.created_at,
            }
        )
    return sorted(entries, key=lambda e: e["at"], reverse=True)[:100]


def _feed(kind) -> bytes:
    link = f"{settings.SITE_URL}/status/"
    feed = kind(
        title=f"{settings.FRONTLINE_PROVIDER_NAME} status",
        link=link,
        description="Incidents and planned maintenance",
        language="en",
        feed_url=f"{link}feed.{'atom' if kind is feedgenerator.Atom1Feed else 'rss'}",
    )
    for entry in _entries(clock.now()):
        feed.add_item(
            title=entry["title"],
            link=entry["id"],
            description=entry["text"],
            unique_id=entry["id"],
            pubdate=entry["at"],
            updateddate=entry["at"],
        )
    return feed.writeString("utf-8").encode()


def atom() -> Rendered:
    return _cached(
        "status:atom", "application/atom+xml; charset=utf-8", lambda: _feed(feedgenerator.Atom1Feed)
    )


def rss() -> Rendered:
    return _cached(
        "status:rss", "application/rss+xml; charset=utf-8", lambda: _feed(feedgenerator.Rss201rev2Feed)
    )


def json_feed() -> Rendered:
    def build() -> bytes:
        link = f"{settings.SITE_URL}/status/"
        return json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": f"{settings.FRONTLINE_PROVIDER_NAME} status",
                "home_page_url": link,
                "feed_url": f"{link}feed.json",
                "items": [
                    {
                        "id": e["id"],
                        "url": e["id"],
                        "title": e["title"],
                        "content_text": e["text"],
                        "date_published": e["at"].isoformat(),
                    }
                    for e in _entries(clock.now())
                ],
            }
        ).encode()

    return _cached("status:json", "application/feed+json", build)
