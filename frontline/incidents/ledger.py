"""The notice ledger: for every customer an incident reaches, what we told them and how far it got, so
"we told everyone" is a count with its exceptions listed.

A customer counts as told when a notice to them (or to a person acting for them and several others) was
accepted by a server or a gateway; as acknowledged when a person confirmed one. Nothing is stored here: the
ledger is read from the notices and their delivery attempts, the evidence itself.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from frontline.customers.models import Customer, Membership
from frontline.delivery.models import AttemptStatus, DeliveryAttempt
from frontline.incidents.models import Incident, IncidentCase, ProactiveCase
from frontline.notifications.models import Notification, NotificationStatus, SubjectKind

REACHED = {AttemptStatus.ACCEPTED, AttemptStatus.DELIVERED, AttemptStatus.DELAYED}
FAILED = {AttemptStatus.REFUSED, AttemptStatus.BOUNCED}


@dataclass
class Line:
    customer_id: int
    name: str = ""
    notices: int = 0
    sent: int = 0  # attempts handed over
    reached: bool = False  # a server or gateway accepted one
    delivered: bool = False  # a delivery report confirmed one
    bounced: bool = False
    told_at: object = None  # when a server or gateway first accepted one
    acknowledged_at: object = None
    acknowledged_via: str = ""
    next_channel: str = ""  # the rung a climbing notice tries next
    last: str = ""  # the latest attempt, in words
    via_person: list[str] = field(default_factory=list)  # people told for several accounts at once

    @property
    def state(self) -> str:
        if self.acknowledged_at:
            return "acknowledged"
        if self.delivered:
            return "delivered"
        if self.reached:
            return "sent"
        if self.bounced:
            return "bounced"
        if self.sent:
            return "failing"
        return "queued" if self.notices else "not told"


@dataclass
class Ledger:
    lines: list[Line]

    def count(self, state: str) -> int:
        return sum(1 for line in self.lines if line.state == state)

    @property
    def counts(self) -> dict[str, int]:
        """Customers by state, keyed for templates ("not told" as not_told)."""
        states = ("acknowledged", "delivered", "sent", "bounced", "failing", "queued", "not told")
        return {state.replace(" ", "_"): self.count(state) for state in states}

    @property
    def told(self) -> int:
        return sum(1 for line in self.lines if line.reached or line.acknowledged_at)

    @property
    def exceptions(self) -> list[Line]:
        return [line for line in self.lines if not (line.reached or line.acknowledged_at)]


def ledger(incident: Incident) -> Ledger:
    customer_ids = list(incident.affected.values_list("customer_id", flat=True))
    lines = {cid: Line(cid) for cid in customer_ids}
    for pk, name in Customer.objects.filter(pk__in=customer_ids).values_list("pk", "name"):
        lines[pk].name = name
    notices = list(
        Notification.objects.filter(
            subject_kind=SubjectKind.INCIDENT, subject_id=str(incident.pk)
        ).select_related("person")
    )
    # A person's notice covers every affected account they act for.
    people = {n.person_id for n in notices if n.person_id}
    covers: dict[int, list[int]] = defaultdict(list)
    for person_id, customer_id in Membership.objects.filter(
        person_id__in=people, customer_id__in=customer_ids
    ).values_list("person_id", "customer_id"):
        covers[person_id].append(customer_id)
    attempts: dict[int, list[DeliveryAttempt]] = defaultdict(list)
    for attempt in DeliveryAttempt.objects.filter(notification__in=[n.pk for n in notices]).order_by("pk"):
        attempts[attempt.notification_id].append(attempt)
    for n in notices:
        for customer_id in covers[n.person_id] if n.person_id else [n.customer_id]:
            line = lines.get(customer_id)
            if line is None:
                continue
            _add(line, n, attempts[n.pk])
    return Ledger(sorted(lines.values(), key=lambda line: (line.state != "not told", line.name)))


def _add(line: Line, n: Notification, attempts: list[DeliveryAttempt]) -> None:
    line.notices += 1
    if n.person_id:
        line.via_person.append(n.person.name)
    line.sent += len(attempts)
    reached = [a.attempted_at for a in attempts if a.status in REACHED]
    line.reached = line.reached or bool(reached)
    if reached and (line.told_at is None or min(reached) < line.told_at):
        line.told_at = min(reached)
    line.delivered = line.delivered or any(a.status == AttemptStatus.DELIVERED for a in attempts)
    line.bounced = line.bounced or any(a.status in FAILED for a in attempts)
    if n.status == NotificationStatus.ACKNOWLEDGED and (
        line.acknowledged_at is None or n.acknowledged_at < line.acknowledged_at
    ):
        line.acknowledged_at, line.acknowledged_via = n.acknowledged_at, n.acknowledged_via
    if n.status == NotificationStatus.ACTIVE and n.rung:
        line.next_channel = n.rung["channel"]
    if attempts:
        last = attempts[-1]
        line.last = f"{last.channel} to {last.address}: {last.get_status_display().lower()}"


@dataclass
class Earliness:
    incident: Incident
    affected: int
    told_first: int  # told before they contacted us (or told, and never had to contact us)
    contacted_first: int  # contacted us before our notice reached them
    never_told: int

    @property
    def share(self) -> float | None:
        return self.told_first / self.affected if self.affected else None


def first_contacts(incident: Incident) -> dict[int, object]:
    """When each customer first told us, by their earliest linked case; the cases we opened from monitoring
    are not them telling us."""
    first_contact: dict[int, object] = {}
    proactive = ProactiveCase.objects.values("case_id")
    links = (
        IncidentCase.objects.filter(incident=incident).exclude(case_id__in=proactive).select_related("case")
    )
    for link in links:
        at = link.case.created_at
        customer = link.case.customer_id
        if customer not in first_contact or at < first_contact[customer]:
            first_contact[customer] = at
    return first_contact


def earliness(incident: Incident) -> Earliness:
    """How early we found it: the share of affected customers told before they contacted us."""
    first_contact = first_contacts(incident)
    told_first = contacted_first = never_told = 0
    for line in ledger(incident).lines:
        contacted = first_contact.get(line.customer_id)
        if line.told_at is None:
            never_told += 1
            contacted_first += contacted is not None
        elif contacted is None or line.told_at <= contacted:
            told_first += 1
        else:
            contacted_first += 1
    return Earliness(incident, incident.affected.count(), told_first, contacted_first, never_told)
