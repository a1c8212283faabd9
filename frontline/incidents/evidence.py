"""The evidence of an incident, assembled by us and not asked of customers: what monitoring saw, how the
components' and units' states changed, what was changed (recorded changes and deploys), what customers
told us (the first message from each, and the ones that describe symptoms), who it reached and what we
told them; and the impact in customer-minutes, computed from the state history.

`diagnostics_ask` is the reply check (`FRONTLINE_REPLY_CHECKS`) that holds an agent's reply asking a
customer hit by an open incident to run diagnostics or send logs: we hold the evidence, we do the analysis.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

from frontline.cases.models import Direction, Message
from frontline.cases.replies import Caution
from frontline.core import clock
from frontline.incidents.models import Incident, IncidentCase, IncidentState
from frontline.monitoring import changes as recorded
from frontline.monitoring.blast import components_under
from frontline.monitoring.models import Alert, StatePeriod

CHANGES_BEFORE = timedelta(hours=24)  # a change this long before the start is still a suspect
ALERTS_BEFORE = timedelta(hours=1)
MOST = 200  # entries of one kind on the page; the counts say how many there were

# Words that describe a symptom: an error code, an error's wording.
SYMPTOM = re.compile(
    r"\b[45]\d\d\b|\b[45]\.\d\.\d{1,3}\b|error|reject|denied|bounce|time[sd]?\s?out|refused|unreachable|"
    r"cannot|can't|fail|down\b|not working|slow",
    re.IGNORECASE,
)
# An agent asking the customer to do the analysis.
DIAGNOSTICS = re.compile(
    r"\b(trace ?route|tracert|mtr|ping|nslookup|dig|telnet|packet capture|pcap|speed ?test|"
    r"(run|do|perform)\s+(a\s+|some\s+|the\s+)?(test|tests|diagnostics?|check)|"
    r"send\s+(us\s+)?(the\s+|your\s+|a\s+|some\s+)?([\w-]+\s+){0,2}"
    r"(logs?|headers|bounce|screenshots?|error messages?)|"
    r"(full|message)\s+headers|log\s?files?)\b",
    re.IGNORECASE,
)


@dataclass
class Entry:
    at: datetime
    kind: str  # alert, state, change, case, update
    text: str
    detail: str = ""


@dataclass
class Evidence:
    incident: Incident
    timeline: list[Entry] = field(default_factory=list)
    key_messages: list[tuple[Message, str]] = field(default_factory=list)  # (message, why it matters)
    changes: list = field(default_factory=list)
    cases: int = 0
    customers: int = 0
    units: int = 0


def window(incident: Incident) -> tuple[datetime, datetime]:
    return incident.started_at, incident.resolved_at or clock.now()


def _components(incident: Incident) -> list:
    return components_under(list(incident.components.all()))


def assemble(incident: Incident) -> Evidence:
    start, end = window(incident)
    components = _components(incident)
    component_ids = [c.pk for c in components]
    unit_ids = incident.affected_unit_ids()
    found = Evidence(incident, customers=incident.affected.count(), units=len(set(unit_ids)))
    entries = found.timeline
    alerts = (
        Alert.objects.filter(
            Q(incidents=incident) | Q(components__in=component_ids) | Q(units__in=unit_ids[:5000]),
            starts_at__gte=start - ALERTS_BEFORE,
        )
        .filter(starts_at__lte=end)
        .distinct()
        .order_by("starts_at")[:MOST]
    )
    for alert in alerts:
        entries.append(Entry(alert.starts_at, "alert", f"Alert {alert.name} firing", alert.summary))
        if alert.ends_at and alert.ends_at <= end:
            entries.append(Entry(alert.ends_at, "alert", f"Alert {alert.name} resolved"))
    periods = (
        StatePeriod.objects.filter(Q(component__in=component_ids) | Q(unit__in=unit_ids[:5000]))
        .filter(started_at__lte=end)
        .filter(Q(ended_at=None) | Q(ended_at__gte=start - ALERTS_BEFORE))
        .select_related("component", "unit")
        .order_by("started_at")[:MOST]
    )
    for period in periods:
        what = period.component.name if period.component_id else period.unit.name
        entries.append(Entry(period.started_at, "state", f"{what} {period.get_state_display().lower()}"))
        if period.ended_at and period.ended_at <= end:
            entries.append(Entry(period.ended_at, "state", f"{what} operational again"))
    found.changes = recorded.changes_near(
        component_ids=component_ids, unit_ids=unit_ids, since=start - CHANGES_BEFORE, until=end
    )
    for change in found.changes:
        entries.append(
            Entry(
                change.started_at,
                "change",
                f"{change.get_kind_display()}: {change.summary}",
                f"by {change.changed_by}"
                + (f" ({change.tool})" if change.tool else "")
                + " on "
                + ", ".join(change.targets[:5]),
            )
        )
    links = list(
        IncidentCase.objects.filter(incident=incident).select_related("case__customer").order_by("linked_at")
    )
    found.cases = len(links)
    for link in links[:MOST]:
        case = link.case
        entries.append(
            Entry(case.created_at, "case", f"{case.ref} from {case.customer.name}: {case.subject}")
        )
    for update in incident.updates.all():
        entries.append(
            Entry(update.posted_at, "update", f"We said ({update.get_state_display()})", update.body)
        )
    entries.sort(key=lambda e: e.at)
    found.key_messages = key_messages([link.case_id for link in links])
    return found


def key_messages(case_ids: list[int], most: int = 50) -> list[tuple[Message, str]]:
    """The first message from each customer, and later ones that describe symptoms."""
    chosen, first_seen = [], set()
    messages = (
        Message.objects.filter(case_id__in=case_ids, direction=Direction.INBOUND)
        .select_related("case__customer")
        .order_by("created_at", "pk")
    )
    for message in messages[: most * 5]:
        customer = message.case.customer_id
        if customer not in first_seen:
            first_seen.add(customer)
            chosen.append((message, "first from this customer"))
        elif SYMPTOM.search(message.body_text or ""):
            chosen.append((message, "describes a symptom"))
        if len(chosen) >= most:
            break
    return chosen


def customer_minutes_lost(incident: Incident) -> tuple[int, int, int]:
    """(customers, units, customer-minutes): for each customer, the minutes inside the incident during which
    any of their affected units, or a component the incident is about, was not operational (the state
    history); a customer with no recorded state (a case joined by its words) counts the incident's span."""
    start, end = window(incident)
    component_spans = _spans(
        StatePeriod.objects.filter(component__in=[c.pk for c in _components(incident)]), start, end
    )
    affected = list(incident.affected.values_list("customer_id", "unit_ids"))
    unit_ids = [u for _, ids in affected for u in ids]
    unit_spans: dict[int, list] = {}
    for chunk in range(0, len(unit_ids), 5000):
        periods = StatePeriod.objects.filter(unit__in=unit_ids[chunk : chunk + 5000])
        for period in _overlapping(periods, start, end):
            unit_spans.setdefault(period.unit_id, []).append(_clip(period, start, end))
    total = 0
    for _customer, ids in affected:
        spans = [s for u in ids for s in unit_spans.get(u, [])]
        if ids:
            spans += component_spans
        total += _minutes(spans or [(start, end)])
    return len(affected), len(set(unit_ids)), total


def _clip(period, start, end):
    return max(period.started_at, start), min(period.ended_at or end, end)


def _overlapping(periods, start, end):
    return periods.filter(started_at__lte=end).filter(Q(ended_at=None) | Q(ended_at__gte=start))


def _spans(periods, start, end) -> list:
    return [_clip(p, start, end) for p in _overlapping(periods, start, end)]


def _minutes(spans) -> int:
    """Minutes covered by the union of the spans."""
    covered, reach = 0.0, None
    for begin, finish in sorted(spans):
        if reach is None or begin > reach:
            covered += (finish - begin).total_seconds()
            reach = finish
        elif finish > reach:
            covered += (finish - reach).total_seconds()
            reach = finish
    return round(covered / 60)


def diagnostics_ask(case, body: str) -> Caution | None:
    """Hold a reply that asks a customer hit by our open incident to diagnose it."""
    if not DIAGNOSTICS.search(body):
        return None
    link = (
        IncidentCase.objects.filter(case=case, incident__state__in=IncidentState.open_values())
        .select_related("incident")
        .first()
    )
    if link is None:
        return None
    incident = link.incident
    found = assemble(incident)
    kinds = [e.kind for e in found.timeline]
    writers = len({m.case.customer_id for m, _ in found.key_messages})
    held = [
        f"{kinds.count('alert')} alert events and {kinds.count('state')} state changes from monitoring",
        f"{found.cases} linked cases from {writers} customers, their first messages and symptoms",
        f"{found.units} affected units of {found.customers} customers",
    ]
    held += [
        f"Change: {c.summary} by {c.changed_by} at {c.started_at:%H:%M %d %b}" for c in found.changes[:3]
    ]
    return Caution(
        f"This case is part of {incident.ref} ({incident.title}), which is ours to analyse: this reply asks "
        "the customer to run diagnostics or send logs. We already hold:",
        tuple(held),
    )
