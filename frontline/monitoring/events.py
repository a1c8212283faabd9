"""The events the monitoring app writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EVENT_KINDS
from frontline.events.services import record

ALERT_FIRING = EVENT_KINDS.declare("monitoring.alert_firing", "Alert firing")
ALERT_RESOLVED = EVENT_KINDS.declare("monitoring.alert_resolved", "Alert resolved")
ALERT_UNMATCHED = EVENT_KINDS.declare("monitoring.alert_unmatched", "Alert about nothing we know")
POST_REFUSED = EVENT_KINDS.declare("monitoring.post_refused", "Monitoring post could not be read")
COMPONENT_HEALTH = EVENT_KINDS.declare("monitoring.component_health", "Component state changed")
MATCHER_SAVED = EVENT_KINDS.declare("monitoring.matcher_saved", "Alert matcher saved")


def _alert_data(alert) -> dict:
    return {
        "alert_id": alert.pk,
        "name": alert.name,
        "fingerprint": alert.fingerprint,
        "summary": alert.summary,
        "labels": alert.labels,
        "starts_at": alert.starts_at.isoformat(),
    }


def alert_changed(*, alert, components: list[str], unit=None, customer=None) -> None:
    """An alert began firing or was resolved, once per unit it is about (or once, for components).
    data: alert_id, name, fingerprint, summary, labels, starts_at, components (names)."""
    record(
        ALERT_FIRING if alert.status == "firing" else ALERT_RESOLVED,
        actor_label=alert.source.name,
        via="monitoring",
        unit=unit,
        customer=customer,
        components=components,
        **_alert_data(alert),
    )


def alert_unmatched(*, alert) -> None:
    """No matcher found what the alert is about. data: as alert_changed."""
    record(
        ALERT_UNMATCHED, actor_label=alert.source.name, via="monitoring", components=[], **_alert_data(alert)
    )


def post_refused(*, post) -> None:
    """A stored webhook body that could not be read. data: post_id, source, problem."""
    record(
        POST_REFUSED,
        actor_label=post.source.name,
        via="monitoring",
        post_id=post.pk,
        source=post.source.name,
        problem=post.problem,
    )


def component_health(*, component, previous: str, reason: str) -> None:
    """data: component, previous, state, reason."""
    record(
        COMPONENT_HEALTH,
        actor_label="monitoring",
        via="monitoring",
        component=component.name,
        previous=previous,
        state=component.state,
        reason=reason,
    )


def matcher_saved(*, matcher, created: bool, by, via: str) -> None:
    """data: matcher_id, created, label, looks_up, alertname, health, position, is_active."""
    record(
        MATCHER_SAVED,
        actor=by,
        via=via,
        matcher_id=matcher.pk,
        created=created,
        label=matcher.label,
        looks_up=matcher.looks_up,
        alertname=matcher.alertname,
        health=matcher.health,
        position=matcher.position,
        is_active=matcher.is_active,
    )


CHANGE_RECORDED = EVENT_KINDS.declare("monitoring.change_recorded", "Change recorded")


def change_recorded(*, change, by, via: str) -> None:
    """data: change_id, kind, summary, targets, changed_by, started_at."""
    record(
        CHANGE_RECORDED,
        actor=by,
        actor_label="" if by else change.tool or "change",
        via=via,
        change_id=change.pk,
        kind=change.kind,
        summary=change.summary,
        targets=change.targets,
        changed_by=change.changed_by,
        started_at=change.started_at.isoformat(),
    )
