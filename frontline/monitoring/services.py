"""Monitoring's door: alerts in (stored first, read after), matchers, components and their health.

1. `receive` checks the sender (bearer token or HMAC of the body), stores the body exactly as it came and
   checks that it can be read: what cannot be read is kept, refused with its reason and raised as a to-do;
   what can is answered at once and read by a worker (`read_pending`).
2. `read_post` upserts the group on its groupKey and each alert on its fingerprint, maps a new alert to its
   units and components through the matchers (an alert about nothing we know is kept and raised), and
   re-evaluates the health of whatever an alert's change touches (`health.py`). Apps above listen to
   `signals.py` for what the health changes mean to customers.
"""

import hashlib
import hmac
import json
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction

from frontline.core import clock, jsonbody
from frontline.core.db import queued_writes
from frontline.core.errors import Conflict, ServiceError, require_choice
from frontline.monitoring import events, health
from frontline.monitoring.blast import of as of
from frontline.monitoring.blast import of_components as of_components
from frontline.monitoring.blast import of_units as of_units
from frontline.monitoring.blast import units_under as units_under
from frontline.monitoring.health import set_component_health as set_component_health
from frontline.monitoring.matchers import resolve
from frontline.monitoring.matchers import save_matcher as save_matcher
from frontline.monitoring.models import (
    Alert,
    AlertGroup,
    AlertPost,
    AlertStatus,
    Component,
    ComponentKind,
    Matcher,
    PostStatus,
    Source,
    SourceKind,
)
from frontline.monitoring.reading import Unreadable, read_payload
from frontline.scheduling.later import later
from frontline.todos.models import TODO_KINDS
from frontline.todos.services import raise_todo

REVIEW_ALERT = TODO_KINDS.declare("review_alert", "Map an alert")  # about nothing we know: add a matcher
REVIEW_POST = TODO_KINDS.declare("review_post", "Read a monitoring post")  # a body we could not read


class NotAuthenticated(Exception):
    """The sender did not prove itself: 401, and nothing is stored."""


# ---------------------------------------------------------------- sources and components


def add_source(*, name: str, kind: str, secret: str) -> Source:
    require_choice(kind, SourceKind, "kind")
    if len(secret) < 24:
        raise ServiceError("a source's secret needs at least 24 characters", field="secret")
    return Source.objects.create(name=name, kind=kind, secret=secret, created_at=clock.now())


def add_component(*, name: str, kind: str, group: str, parent: Component | None = None, public=True):
    require_choice(kind, ComponentKind, "kind")
    if not name.strip() or not group.strip():
        raise ServiceError(
            "a component needs a name and a group", field="name" if not name.strip() else "group"
        )
    if Component.objects.filter(name=name.strip()).exists():
        raise Conflict(f"there is already a component named {name.strip()!r}", field="name")
    return Component.objects.create(
        name=name.strip(),
        kind=kind,
        group=group.strip(),
        parent=parent,
        public=public,
        created_at=clock.now(),
    )


# ---------------------------------------------------------------- receiving


def authenticate(source_name: str, *, authorization: str, signature: str, body: bytes) -> Source:
    source = Source.objects.filter(name=source_name, is_active=True).first()
    if source is None:
        raise NotAuthenticated("unknown source")
    if authorization.startswith("Bearer "):
        if hmac.compare_digest(authorization[7:].strip().encode(), source.secret.encode()):
            return source
    elif signature and body:
        expected = hmac.new(source.secret.encode(), body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(signature.removeprefix("sha256=").strip(), expected):
            return source
    raise NotAuthenticated("wrong credentials")


def receive(source: Source, body: bytes) -> AlertPost:
    """Store, then check the body can be read. Raises ServiceError (kept, refused, raised) when not.

    On SQLite the writes queue behind the machine's write lock (core/db.py) with the worker's reading, so
    that a busy worker cannot starve the webhook's one insert."""
    now = clock.now()
    with queued_writes(), transaction.atomic():
        post = AlertPost.objects.create(source=source, body=body, received_at=now)
    try:
        read_payload(source.kind, jsonbody.loads(body), now=now)
    except ServiceError as exc:  # Unreadable, or jsonbody's BadJson
        with queued_writes(), transaction.atomic():
            _refuse(post, exc.message)
        raise ServiceError(f"{exc.message} (kept as post {post.pk})", field="body") from exc
    transaction.on_commit(_read_soon)
    return post


READ_QUEUED = "monitoring:read-queued"


def _read_soon() -> None:
    """Enqueue a reading unless one is already queued and has not started: at a hundred posts a second,
    one job reads them all (the job clears the mark as it starts, so nothing posted after that waits)."""
    if cache.add(READ_QUEUED, 1, timeout=30):
        later("frontline.monitoring.tasks.read_pending")


def _refuse(post: AlertPost, problem: str) -> None:
    post.status, post.problem, post.read_at = PostStatus.REFUSED, problem, clock.now()
    post.save(update_fields=["status", "problem", "read_at"])
    events.post_refused(post=post)
    raise_todo(
        kind=REVIEW_POST,
        title=f"Monitoring post {post.pk} from {post.source.name} could not be read",
        detail=problem,
        evidence={"post_id": post.pk},
        via="monitoring",
    )


# ---------------------------------------------------------------- reading


def read_pending(limit: int = 500) -> int:
    """Read what was stored and not yet read, oldest first, each post in its own transaction."""
    cache.delete(READ_QUEUED)
    done = 0
    matchers = list(Matcher.objects.filter(is_active=True).select_related("topic"))
    for post_id in (
        AlertPost.objects.filter(status=PostStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    ):
        # On SQLite each post's writes queue behind the machine's write lock, as the webhook's insert does:
        # the webhook waits for one post's reading at most, never for SQLite's busy-handler naps.
        with queued_writes(), transaction.atomic():
            post = (
                AlertPost.objects.select_for_update()
                .select_related("source")
                .filter(pk=post_id, status=PostStatus.PENDING)
                .first()
            )
            if post is not None:
                read_post(post, matchers=matchers)
                done += 1
    return done


def read_post(post: AlertPost, *, matchers: list[Matcher] | None = None) -> list[Alert]:
    """`matchers`: the active ones, when the caller read them once for many posts."""
    now = clock.now()
    try:
        group_in, alerts_in = read_payload(post.source.kind, json.loads(bytes(post.body)), now=now)
    except (Unreadable, ValueError) as exc:
        _refuse(post, getattr(exc, "message", str(exc)))
        return []
    group = _upsert_group(post.source, group_in, now) if group_in else None
    if matchers is None:
        matchers = list(Matcher.objects.filter(is_active=True).select_related("topic"))
    changed = [
        alert for item in alerts_in if (alert := _upsert_alert(post.source, group, item, matchers, now))
    ]
    post.status, post.read_at = PostStatus.READ, now
    post.save(update_fields=["status", "read_at"])
    for alert in changed:
        _announce(alert)
    return changed


def _upsert_group(source, group_in, now) -> AlertGroup:
    fields = {
        "status": group_in.status,
        "receiver": group_in.receiver,
        "group_labels": group_in.group_labels,
        "common_labels": group_in.common_labels,
        "common_annotations": group_in.common_annotations,
        "external_url": group_in.external_url,
        "truncated_alerts": group_in.truncated_alerts,
        "extra": group_in.extra,
        "last_posted_at": now,
    }
    group = AlertGroup.objects.select_for_update().filter(source=source, group_key=group_in.group_key).first()
    if group is None:
        return AlertGroup.objects.create(
            source=source, group_key=group_in.group_key, first_posted_at=now, **fields
        )
    for name, value in fields.items():
        setattr(group, name, value)
    group.posts += 1
    group.save()
    return group


def _upsert_alert(source, group, item, matchers, now) -> Alert | None:
    """The alert row for this fingerprint, when this post changes its status; None for a repeat."""
    alert = Alert.objects.select_for_update().filter(source=source, fingerprint=item.fingerprint).first()
    if alert is not None and item.starts_at < alert.starts_at:
        return None  # an older episode, posted late: the newer one stands
    news = alert is None or alert.status != item.status or item.starts_at > alert.starts_at
    alert = alert or Alert(source=source, fingerprint=item.fingerprint, first_seen_at=now)
    alert.group = group or alert.group
    alert.name, alert.status, alert.labels, alert.annotations = (
        item.name,
        item.status,
        item.labels,
        item.annotations,
    )
    alert.starts_at, alert.ends_at, alert.generator_url = item.starts_at, item.ends_at, item.generator_url
    alert.extra, alert.last_seen_at = item.extra, now
    if item.status == AlertStatus.RESOLVED and alert.ends_at is None:
        alert.ends_at = now
    fresh = alert.pk is None
    unmapped = fresh or alert.matcher_id is None
    alert.save()
    if unmapped:
        news = _map(alert, matchers, fresh=fresh) or news
    return alert if news else None


def _map(alert: Alert, matchers: list[Matcher], *, fresh: bool) -> bool:
    """Map the alert through the matchers; True when it is newly mapped. Unmapped firing alerts are raised
    as a to-do once per fingerprint."""
    matcher, units, components = resolve(alert.labels, matchers)
    if matcher is None:
        if alert.status == AlertStatus.FIRING and alert.raised_at is None:
            events.alert_unmatched(alert=alert)
            labels = ", ".join(f'{k}="{v}"' for k, v in sorted(alert.labels.items()))
            raise_todo(
                kind=REVIEW_ALERT,
                title=f"Alert {alert.name or alert.fingerprint} is about nothing we know",
                detail=f"Labels: {labels}. Add a matcher (Monitoring page) mapping one of them to a unit or "
                "a component; the alert is kept and will be mapped on its next post.",
                evidence={"alert_id": alert.pk},
                via="monitoring",
            )
            alert.raised_at = clock.now()
            alert.save(update_fields=["raised_at"])
        return False
    alert.matcher, alert.health = matcher, matcher.health
    alert.save(update_fields=["matcher", "health"])
    if fresh:  # a new alert has no links to replace: add them, without reading the empty ones first
        alert.units.add(*units)
        alert.components.add(*components)
    else:
        alert.units.set(units)
        alert.components.set(components)
    alert.found = (units, components)  # what _announce needs, without reading it back
    return True


def _announce(alert: Alert) -> None:
    found = getattr(alert, "found", None)
    units, components = found or (list(alert.units.select_related("customer")), list(alert.components.all()))
    names = [c.name for c in components]
    if not units:
        events.alert_changed(alert=alert, components=names)
    for unit in units:
        events.alert_changed(alert=alert, unit=unit, customer=unit.customer, components=names)
    for unit in units:
        health.reevaluate_unit(unit, alert)
    for component in components:
        health.reevaluate_component(component, alert)


def firing_alerts(*, unit_ids=None, component_ids=None):
    alerts = Alert.objects.filter(status=AlertStatus.FIRING)
    if unit_ids is not None:
        alerts = alerts.filter(units__in=unit_ids)
    if component_ids is not None:
        alerts = alerts.filter(components__in=component_ids)
    return alerts.distinct()


def stale_pending(older_than: timedelta = timedelta(minutes=1)) -> int:
    return AlertPost.objects.filter(
        status=PostStatus.PENDING, received_at__lt=clock.now() - older_than
    ).count()
