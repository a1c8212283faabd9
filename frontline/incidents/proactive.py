"""Proactive cases: monitoring saw a customer's unit go bad, so we open their case and tell them before
they have to tell us; when it recovers, we tell them and ask whether it works for them.

The case opens on the customer's clock from the alert's start, routed like any case, with the unit and
everything under it as its affected units. A later contact from the customer finds this case like any
other (its unit, its words). During announced maintenance of the unit, an alert opens nothing: it was
announced, and is linked to the maintenance.
"""

from functools import partial

from django.db import transaction

from frontline.cases import confirmation
from frontline.cases import services as cases
from frontline.core import clock, texts
from frontline.customers.models import ServiceUnit
from frontline.incidents import events, maintenance
from frontline.incidents.models import IncidentCase, ProactiveCase
from frontline.incidents.running import ask_to_confirm, link_case, open_incident_for
from frontline.monitoring import services as monitoring
from frontline.monitoring.models import Health
from frontline.notifications import services as notifications
from frontline.notifications.models import SubjectKind, Urgency
from frontline.routing import services as routing


@transaction.atomic(savepoint=False)  # inside the reading's transaction: no savepoint of its own
def unit_went_bad(unit: ServiceUnit, *, health: str, alert, started_at) -> ProactiveCase | None:
    window = maintenance.covering(unit, clock.now())
    if window is not None:
        if alert is not None:
            window.alerts.add(alert)
        events.alert_in_maintenance(maintenance=window, unit=unit, alert=alert)
        return None
    if ProactiveCase.objects.filter(unit=unit, recovered_at=None).exists():
        return None  # already open: its priority rises with the customer's clock
    below = monitoring.units_under([unit.pk])
    units = (
        [unit, *ServiceUnit.objects.filter(pk__in=below).exclude(pk=unit.pk)] if len(below) > 1 else [unit]
    )
    subject, body = texts.render_message("incidents/proactive_case", unit=unit, alert=alert, health=health)
    case = cases.open_case(
        customer=unit.customer,
        subject=subject,
        body=body,
        channel="monitoring",
        impact=health,
        units=units,
        problem_started_at=started_at,
        topic=alert.matcher.topic if alert and alert.matcher_id else None,
        sender=alert.source.name if alert else "monitoring",
        via="monitoring",
        triage=partial(routing.triage_unwritten, via="monitoring"),
    )
    proactive = ProactiveCase.objects.create(unit=unit, case=case, alert=alert, opened_at=clock.now())
    events.proactive_case(case=case, unit=unit, alert=alert)
    incident = open_incident_for(unit.customer_id)
    # Correlation may have linked it already, on arrival.
    if incident is not None and not IncidentCase.objects.filter(case=case).exists():
        link_case(incident, case, label="monitoring", via="monitoring")
    title, text = texts.render_message("incidents/we_know", case=case, unit=unit, health=health)
    notifications.notify(
        unit.customer,
        subject_kind=SubjectKind.CASE,
        subject_id=case.pk,
        case=case,
        title=title[:200],
        body=text,
        urgency=Urgency.CRITICAL if health == Health.DOWN else Urgency.URGENT,
        via="monitoring",
    )
    return proactive


@transaction.atomic(savepoint=False)
def unit_recovered(unit: ServiceUnit) -> list[ProactiveCase]:
    done = []
    now = clock.now()
    for proactive in (
        ProactiveCase.objects.select_for_update()
        .filter(unit=unit, recovered_at=None)
        .select_related("case__customer")
    ):
        proactive.recovered_at = now
        proactive.save(update_fields=["recovered_at"])
        minutes = round((now - proactive.case.problem_started_at).total_seconds() / 60)
        events.recovered(case=proactive.case, unit=unit, down_minutes=minutes)
        case = confirmation.resolve_on_evidence(
            proactive.case,
            notes=f"Monitoring saw {unit.name} recover after {minutes} minutes.",
            actor_label="monitoring",
            via="monitoring",
        )
        if case.status == "resolved":
            ask_to_confirm(
                case, why=f"Monitoring sees {unit.name} working again since {now:%Y-%m-%d %H:%M} UTC."
            )
        done.append(proactive)
    return done
