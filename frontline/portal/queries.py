"""What the portal reads, always from the visitor's current account: a query here never takes an account id
from a request, and anything named by id is looked up inside that account (and inside the visitor's grants
when a link let them in), so another customer's id finds nothing."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontline.cases.events import FIX_CONFIRMED, FIX_UNCONFIRMED
from frontline.cases.models import Case, CaseStatus, Direction, Message
from frontline.customers.models import ContactPoint, Customer, Person, ServiceUnit
from frontline.delivery.models import SUCCESSES, DeliveryAttempt
from frontline.events.models import Event
from frontline.incidents.models import Affected, Incident, Maintenance, MaintenanceReach, MaintenanceStatus
from frontline.notifications.models import Notification, NotificationStatus
from frontline.policy.guardrails import LIVE_STATUSES
from frontline.policy.models import Decision, DecisionStatus
from frontline.policy.wording import facts_words
from frontline.portal.visitor import Visitor

# A case's state as the customer would say it (the workspace's statuses are ours).
PLAIN_STATES = {
    CaseStatus.NEW: (_("we have it and will answer soon"), "working"),
    CaseStatus.OPEN: (_("we are working on it"), "working"),
    CaseStatus.WAITING_PROVIDER: (_("we are working on it"), "working"),
    CaseStatus.WAITING_CUSTOMER: (_("waiting for you"), "you"),
    CaseStatus.RESOLVED: (_("fixed: please confirm"), "confirm"),
    CaseStatus.CLOSED: (_("closed"), "closed"),
}
RECENT_PAST = 30


def account(visitor: Visitor) -> Customer:
    return Customer.objects.get(pk=visitor.account_id)


def accounts(visitor: Visitor) -> list[Customer]:
    return list(Customer.objects.filter(pk__in=visitor.account_ids).order_by("name"))


def person(visitor: Visitor) -> Person | None:
    return Person.objects.filter(pk=visitor.person_id).first() if visitor.person_id else None


def plain_state(case: Case) -> tuple[str, str]:
    return PLAIN_STATES[CaseStatus(case.status)]


# ---- cases ------------------------------------------------------------------------------------------------


def _cases(visitor: Visitor):
    # A chat that has not proven who is writing is a stranger's claim: never shown as the customer's.
    found = Case.objects.filter(customer_id=visitor.account_id, merged_into__isnull=True, unproven_claim="")
    if not visitor.signed_in:
        found = found.filter(pk__in=[pk for kind, pk in visitor.grants if kind == "case"])
    return found


def problems(visitor: Visitor) -> tuple[list[Case], list[Case]]:
    """(open, past): the open ones (fixed and waiting for confirmation among them), and the last finished."""
    current = list(_cases(visitor).exclude(status=CaseStatus.CLOSED).order_by("-updated_at")[:100])
    past = list(_cases(visitor).filter(status=CaseStatus.CLOSED).order_by("-closed_at")[:RECENT_PAST])
    for case in current + past:
        case.plain_state, case.state_class = plain_state(case)
    return current, past


def case_for(visitor: Visitor, ref: str) -> Case | None:
    pk = Case.pk_from_ref(ref)
    if pk is None or not visitor.may("case", pk):
        return None
    case = Case.objects.filter(pk=pk, customer_id=visitor.account_id, unproven_claim="").first()
    while case is not None and case.merged_into_id:  # a merged case shows as the one it joined
        case = Case.objects.filter(pk=case.merged_into_id, customer_id=visitor.account_id).first()
    return case


def conversation(case: Case) -> list:
    """Every message in and out on every channel, and those of the cases merged into it; our internal notes
    never."""
    merged = list(case.merged_cases.values_list("pk", flat=True))
    return list(
        Message.objects.filter(case_id__in=[case.pk, *merged])
        .exclude(direction=Direction.INTERNAL)
        .select_related("author_agent", "author_person")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


def attachment_for(visitor: Visitor, ref: str, pk: int):
    case = case_for(visitor, ref)
    if case is None:
        return None
    for message in conversation(case):
        for item in message.attachments.all():
            if item.pk == pk:
                return item
    return None


def confirmation_answer(case: Case) -> str:
    """How a closed case ended for the customer: yes (confirmed), unconfirmed (no answer in time), or ''."""
    last = Event.objects.filter(case=case, kind__in=[FIX_CONFIRMED, FIX_UNCONFIRMED]).order_by("-at").first()
    if last is None:
        return ""
    return "unconfirmed" if last.kind == FIX_UNCONFIRMED else last.data.get("answer", "")


# ---- notices ----------------------------------------------------------------------------------------------


def _notices(visitor: Visitor):
    mine = Q(customer_id=visitor.account_id, person__isnull=True)
    if visitor.person_id:  # a person acting for several accounts also gets notices of their own
        mine |= Q(person_id=visitor.person_id)
    found = Notification.objects.filter(mine)
    if not visitor.signed_in:
        granted = [pk for kind, pk in visitor.grants if kind == "notification"]
        cases = [pk for kind, pk in visitor.grants if kind == "case"]
        found = found.filter(Q(pk__in=granted) | Q(case_id__in=cases))
    return found


def notices(visitor: Visitor, *, limit: int = 20) -> list[Notification]:
    return list(_notices(visitor).order_by("-created_at")[:limit])


def waiting_notices(visitor: Visitor) -> list[Notification]:
    waiting = [NotificationStatus.ACTIVE, NotificationStatus.EXHAUSTED]
    return list(_notices(visitor).filter(status__in=waiting).order_by("-created_at")[:20])


def notification_for(visitor: Visitor, pk: int) -> Notification | None:
    return _notices(visitor).filter(pk=pk).first()


# ---- contact points ---------------------------------------------------------------------------------------


def _contacts(visitor: Visitor):
    """A signed-in person's own points and the account's shared ones (another person's number is theirs);
    for the account signed in through its shared mailbox, or a notice's link, every point of the account."""
    if not visitor.may_kind("contacts"):
        return ContactPoint.objects.none()
    mine = Q(customer_id=visitor.account_id)
    if visitor.person_id and visitor.signed_in:
        mine |= Q(person_id=visitor.person_id)
    else:
        mine |= Q(person__memberships__customer_id=visitor.account_id)
    return ContactPoint.objects.filter(mine).distinct()


@dataclass
class PointHistory:
    point: ContactPoint
    attempts: list = field(default_factory=list)


def contacts(visitor: Visitor) -> list[PointHistory]:
    points = list(_contacts(visitor).order_by("state", "kind", "pk"))
    history = {point.pk: PointHistory(point) for point in points}
    attempts = DeliveryAttempt.objects.filter(contact_point__in=points).order_by("-attempted_at")
    for attempt in attempts[:200]:
        entries = history[attempt.contact_point_id].attempts
        if len(entries) < 10:
            entries.append(attempt)
    return list(history.values())


def contact_for(visitor: Visitor, pk: int) -> ContactPoint | None:
    return _contacts(visitor).filter(pk=pk).first()


# ---- services and what is held on them -------------------------------------------------------------------


@dataclass
class Hold:
    decision: Decision
    facts: str
    told_at: object = None  # when the notice first reached them (a server accepted it), if it has
    acknowledged_at: object = None


def services(visitor: Visitor) -> list[ServiceUnit]:
    """The account's units in tree order, each with `holds`: what is held on it or about to be."""
    if not visitor.may_kind("services"):
        return []
    units = list(ServiceUnit.objects.filter(customer_id=visitor.account_id).order_by("pk"))
    children: dict[int | None, list[ServiceUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[ServiceUnit] = []

    def walk(parent_id, depth):
        for unit in children.get(parent_id, []):
            unit.depth = min(depth, 3)
            ordered.append(unit)
            walk(unit.pk, depth + 1)

    walk(None, 0)
    decisions = list(
        Decision.objects.filter(customer_id=visitor.account_id, status__in=LIVE_STATUSES)
        .exclude(action__in=["notify", "open_case", "require_cleanup"])
        .select_related("event", "notification", "unit", "case")
        .order_by("created_at")
    )
    told = _first_reached([d.notification_id for d in decisions if d.notification_id])
    holds: dict[int, list[Hold]] = {}
    for decision in decisions:
        note = decision.notification
        holds.setdefault(decision.unit_id, []).append(
            Hold(
                decision,
                facts=facts_words(decision.event),
                told_at=told.get(decision.notification_id),
                acknowledged_at=note.acknowledged_at if note else None,
            )
        )
    for unit in ordered:
        unit.holds = holds.get(unit.pk, [])
    return ordered


def _first_reached(notification_ids: list[int]) -> dict:
    reached = {}
    for attempt in DeliveryAttempt.objects.filter(
        notification_id__in=notification_ids, status__in=SUCCESSES
    ).order_by("answered_at"):
        reached.setdefault(attempt.notification_id, attempt.answered_at or attempt.attempted_at)
    return reached


def decision_for(visitor: Visitor, pk: int) -> Decision | None:
    if not visitor.may_kind("services"):
        return None
    return (
        Decision.objects.filter(pk=pk, customer_id=visitor.account_id, status__in=LIVE_STATUSES)
        .select_related("unit", "customer", "case")
        .first()
    )


def held_count(visitor: Visitor) -> int:
    return Decision.objects.filter(
        customer_id=visitor.account_id, status__in=[DecisionStatus.APPLIED, DecisionStatus.SCHEDULED]
    ).count()


# ---- incidents and maintenance ----------------------------------------------------------------------------


def incidents(customer_id: int, *, limit: int = 20) -> list[Incident]:
    """Incidents that reach the account (computed from the service tree, or joined by its cases): for its
    page (the visitor's account) and its own feed (whose signed URL is the key)."""
    ids = Affected.objects.filter(customer_id=customer_id).values("incident_id")
    return list(
        Incident.objects.filter(pk__in=ids).prefetch_related("updates").order_by("-started_at")[:limit]
    )


def maintenances(customer_id: int, *, limit: int = 20, cancelled: bool = False) -> list[Maintenance]:
    """Planned work reaching the account; the calendar keeps cancelled entries, so they show as cancelled."""
    ids = MaintenanceReach.objects.filter(customer_id=customer_id).values("maintenance_id")
    found = Maintenance.objects.filter(pk__in=ids)
    if not cancelled:
        found = found.exclude(status=MaintenanceStatus.CANCELLED)
    return list(found.order_by("-starts_at")[:limit])
