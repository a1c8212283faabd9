"""The events the incidents app writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EVENT_KINDS
from frontline.events.services import record

INCIDENT_OPENED = EVENT_KINDS.declare("incident.opened", "Incident opened")
INCIDENT_UPDATED = EVENT_KINDS.declare("incident.updated", "Incident update posted")
INCIDENT_CASE_LINKED = EVENT_KINDS.declare("incident.case_linked", "Case linked to an incident")
INCIDENT_CASE_DETACHED = EVENT_KINDS.declare("incident.case_detached", "Case detached from an incident")
PROACTIVE_CASE = EVENT_KINDS.declare("incident.proactive_case", "Case opened from monitoring")
RECOVERED = EVENT_KINDS.declare("incident.recovered", "Monitoring saw it recover")
SUPPRESSED = EVENT_KINDS.declare("incident.alert_in_maintenance", "Alert during planned maintenance")
MAINTENANCE = EVENT_KINDS.declare("incident.maintenance", "Planned maintenance announced or changed")
SUBSCRIPTION = EVENT_KINDS.declare("incident.subscription", "Status page subscription changed")


def _who(by, label: str) -> dict:
    return {"actor": by, "actor_label": "" if by else label}


def incident_opened(*, incident, by, label: str, via: str) -> None:
    """data: incident_id, title, impact, customers (how many), components (names)."""
    record(
        INCIDENT_OPENED,
        via=via,
        incident_id=incident.pk,
        title=incident.title,
        impact=incident.impact,
        customers=incident.affected.count(),
        components=[c.name for c in incident.components.all()],
        **_who(by, label),
    )


def incident_updated(*, update, by, label: str, via: str) -> None:
    """data: incident_id, update_id, state, body, notices (how many started)."""
    record(
        INCIDENT_UPDATED,
        via=via,
        incident_id=update.incident_id,
        update_id=update.pk,
        state=update.state,
        body=update.body,
        notices=update.notices,
        **_who(by, label),
    )


def case_linked(*, incident, case, by, label: str, via: str, why: str = "") -> None:
    """On the case's timeline. data: incident_id, title, why (a link nobody made by hand says why)."""
    record(
        INCIDENT_CASE_LINKED,
        via=via,
        case=case,
        incident_id=incident.pk,
        title=incident.title,
        why=why,
        **_who(by, label),
    )


def case_detached(*, incident, case, by, reason: str, via: str) -> None:
    """On the case's timeline. data: incident_id, title, reason."""
    record(
        INCIDENT_CASE_DETACHED,
        actor=by,
        via=via,
        case=case,
        incident_id=incident.pk,
        title=incident.title,
        reason=reason,
    )


def proactive_case(*, case, unit, alert) -> None:
    """data: alert_id, alert (its name), unit_name, started_at."""
    record(
        PROACTIVE_CASE,
        actor_label="monitoring",
        via="monitoring",
        case=case,
        unit=unit,
        alert_id=alert.pk if alert else None,
        alert=alert.name if alert else "",
        unit_name=unit.name,
        started_at=case.problem_started_at.isoformat(),
    )


def recovered(*, case, unit, down_minutes: int) -> None:
    """data: unit_name, down_minutes."""
    record(
        RECOVERED,
        actor_label="monitoring",
        via="monitoring",
        case=case,
        unit=unit,
        unit_name=unit.name,
        down_minutes=down_minutes,
    )


def alert_in_maintenance(*, maintenance, unit, alert) -> None:
    """An alert that opened no case because its unit was under announced maintenance.
    data: maintenance_id, alert_id, alert."""
    record(
        SUPPRESSED,
        actor_label="monitoring",
        via="monitoring",
        unit=unit,
        customer=unit.customer,
        maintenance_id=maintenance.pk,
        alert_id=alert.pk if alert else None,
        alert=alert.name if alert else "",
    )


def maintenance_changed(*, maintenance, change: str, by, via: str) -> None:
    """data: maintenance_id, change (announced, changed, reminder, started, completed, cancelled), sequence,
    status, starts_at, ends_at."""
    record(
        MAINTENANCE,
        via=via,
        maintenance_id=maintenance.pk,
        change=change,
        sequence=maintenance.sequence,
        status=maintenance.status,
        starts_at=maintenance.starts_at.isoformat(),
        ends_at=maintenance.ends_at.isoformat(),
        **_who(by, "maintenance"),
    )


def subscription_changed(*, subscription, change: str) -> None:
    """data: subscription_id, kind, change (asked, confirmed, unsubscribed). Not the address: public input."""
    record(
        SUBSCRIPTION,
        actor_label="status page",
        via="web",
        subscription_id=subscription.pk,
        kind=subscription.kind,
        change=change,
    )


POSTMORTEM = EVENT_KINDS.declare("incident.postmortem", "Postmortem written")
ACTION = EVENT_KINDS.declare("incident.corrective_action", "Corrective action changed")
SUMMARY = EVENT_KINDS.declare("incident.summary_sent", "Customer summary sent")
REPEAT = EVENT_KINDS.declare("incident.repeat", "Incident recognised as a repeat")


def postmortem_written(*, postmortem, by, via: str) -> None:
    """data: incident_id, cause_class, customers, units, customer_minutes_lost."""
    record(
        POSTMORTEM,
        actor=by,
        via=via,
        incident_id=postmortem.incident_id,
        cause_class=postmortem.cause_class,
        customers=postmortem.customers,
        units=postmortem.units,
        customer_minutes_lost=postmortem.customer_minutes_lost,
    )


def action_changed(*, action, change: str, by, via: str, reason: str = "") -> None:
    """data: incident_id, action_id, change (added, done, reopened), kind, owner_id, status, reason,
    verification_kind."""
    record(
        ACTION,
        actor=by,
        actor_label="" if by else "repeat detection",
        via=via,
        incident_id=action.postmortem.incident_id,
        action_id=action.pk,
        change=change,
        kind=action.kind,
        owner_id=action.owner_id,
        status=action.status,
        reason=reason,
        verification_kind=action.verification_kind,
    )


def summary_sent(*, postmortem, body: str, by, via: str) -> None:
    """data: incident_id, customers (how many it goes to), body."""
    record(
        SUMMARY,
        actor=by,
        via=via,
        incident_id=postmortem.incident_id,
        customers=postmortem.incident.affected.count(),
        body=body,
    )


def repeat_found(*, incident, earlier, reason: str, times: int) -> None:
    """data: incident_id, earlier_id, reason, times (this one counted: 2 is the second time)."""
    record(
        REPEAT,
        actor_label="repeat detection",
        via="incidents",
        incident_id=incident.pk,
        earlier_id=earlier.pk,
        reason=reason,
        times=times,
    )
