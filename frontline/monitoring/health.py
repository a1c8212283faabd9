"""Health from alerts: a unit or component is as bad as the worst alert still firing about it.

Contained and suspended units are our own decisions, not faults: monitoring never overwrites them. Every
span spent not OK is a `StatePeriod`, from which uptime is computed.
"""

from frontline.core import clock
from frontline.customers import services as customers
from frontline.customers.models import ServiceUnit, UnitState
from frontline.monitoring import events, signals
from frontline.monitoring.models import Alert, AlertStatus, Component, Health, StatePeriod

_RANK = {Health.OK: 0, Health.DEGRADED: 1, Health.DOWN: 2}
_OURS = {UnitState.CONTAINED, UnitState.SUSPENDED}


def worst(healths) -> str:
    return max(healths, key=_RANK.__getitem__, default=Health.OK)


def _firing_worst(**about) -> str:
    """The worst health the alerts still firing about a unit or component say."""
    return worst(Alert.objects.filter(status=AlertStatus.FIRING, **about).values_list("health", flat=True))


def _reason(alert: Alert) -> str:
    return f"{alert.name or 'alert'} {alert.status}: {alert.summary}"[:500]


def _move_period(*, unit=None, component=None, previous: str, health: str, at) -> None:
    which = {"unit": unit} if unit is not None else {"component": component}
    if previous != Health.OK:
        StatePeriod.objects.filter(ended_at=None, **which).update(ended_at=at)
    if health != Health.OK:
        StatePeriod.objects.create(state=health, started_at=at, **which)


def reevaluate_unit(unit: ServiceUnit, alert: Alert) -> None:
    """`unit` as read in this transaction (its state is current)."""
    if unit.state in _OURS:
        return
    health = _firing_worst(units=unit)
    if unit.state == health:
        return
    previous = unit.state
    customers.set_unit_state(
        unit, health, reason=_reason(alert), actor_label=alert.source.name, via="monitoring"
    )
    at = alert.starts_at if health != Health.OK else (alert.ends_at or clock.now())
    _move_period(unit=unit, previous=previous, health=health, at=min(at, clock.now()))
    signals.unit_health_changed.send(
        sender=ServiceUnit,
        unit=unit,
        previous=previous,
        health=health,
        alert=alert,
        started_at=alert.starts_at,
    )


def reevaluate_component(component: Component, alert: Alert) -> None:
    set_component_health(component, _firing_worst(components=component), reason=_reason(alert), alert=alert)


def set_component_health(component: Component, health: str, *, reason: str, alert: Alert | None = None):
    """Also what a person does by hand (the status of a component nobody monitors)."""
    component.refresh_from_db(fields=["state", "state_changed_at"])
    if component.state == health:
        return component
    previous, now = component.state, clock.now()
    component.state, component.state_changed_at = health, now
    component.save(update_fields=["state", "state_changed_at"])
    started = min(alert.starts_at, now) if alert is not None and health != Health.OK else now
    _move_period(component=component, previous=previous, health=health, at=started)
    events.component_health(component=component, previous=previous, reason=reason[:500])
    signals.component_health_changed.send(
        sender=Component,
        component=component,
        previous=previous,
        health=health,
        alert=alert,
        started_at=started,
    )
    return component
