"""What monitoring's health changes mean to customers: proactive cases for customers' units, incidents
for our own components."""

from django.dispatch import receiver

from frontline.customers.models import ServiceUnit
from frontline.incidents import proactive, running
from frontline.monitoring import signals
from frontline.monitoring.models import Component, Health


@receiver(signals.unit_health_changed, sender=ServiceUnit)
def unit_health_changed(sender, unit, previous, health, alert, started_at, **kwargs):
    if health in (Health.DOWN, Health.DEGRADED) and previous not in (Health.DOWN, Health.DEGRADED):
        proactive.unit_went_bad(unit, health=health, alert=alert, started_at=started_at)
    elif health == Health.OK:
        proactive.unit_recovered(unit)


@receiver(signals.component_health_changed, sender=Component)
def component_health_changed(sender, component, previous, health, alert, started_at, **kwargs):
    if health != Health.OK and previous == Health.OK:
        running.incident_from_monitoring(component, health=health, alert=alert, started_at=started_at)
    elif health == Health.OK:
        running.component_recovered(component)
