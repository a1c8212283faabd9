"""Reading customers for pages and the API: the panel an agent sees beside every case."""

from dataclasses import dataclass, field

from django.db.models import F, Prefetch, QuerySet

from frontline.core import clock
from frontline.customers.models import ContactPoint, ContactState, Customer, Membership, ServiceUnit


@dataclass
class CustomerPanel:
    customer: Customer
    tenure_years: float
    units: list[tuple[ServiceUnit, int]]  # (unit, depth) in tree order
    account_contacts: list[ContactPoint]
    memberships: list[Membership] = field(default_factory=list)  # each with .person.contact_list

    @property
    def has_working_channel(self) -> bool:
        points = self.account_contacts + [p for m in self.memberships for p in m.person.contact_list]
        return any(point.is_working for point in points)

    @property
    def units_not_ok(self) -> int:
        return sum(1 for unit, _ in self.units if unit.state != "ok")


def _tree(units: list[ServiceUnit]) -> list[tuple[ServiceUnit, int]]:
    children: dict[int | None, list[ServiceUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[ServiceUnit, int]] = []

    def walk(parent_id, depth):
        for unit in sorted(children.get(parent_id, []), key=lambda u: (u.kind, u.name)):
            ordered.append((unit, depth))
            walk(unit.pk, depth + 1)

    walk(None, 0)
    return ordered


def customer_panel(customer: Customer) -> CustomerPanel:
    """Three queries whatever the size of the account: units, the account's contacts, people with theirs."""
    units = list(customer.units.all())
    account_contacts = list(ContactPoint.objects.filter(customer=customer).order_by("kind", "pk"))
    memberships = list(
        Membership.objects.filter(customer=customer)
        .select_related("person")
        .prefetch_related(
            Prefetch(
                "person__contacts",
                queryset=ContactPoint.objects.order_by("kind", "pk"),
                to_attr="contact_list",
            )
        )
        .order_by("role", "person__name")
    )
    years = (clock.now().date() - customer.customer_since).days / 365.25
    return CustomerPanel(customer, round(years, 1), _tree(units), account_contacts, memberships)


def points_by_customer(customer_ids, points: QuerySet[ContactPoint]) -> dict[int, list[ContactPoint]]:
    """Of the contact points `points` selects, each account's own and its people's, by customer id,
    oldest first. Two lookups on indexes (the account's own points; its people's, joined from the
    memberships): one query with an OR across the membership join would read every contact point."""
    found: dict[int, dict[int, ContactPoint]] = {}
    for point in points.filter(customer_id__in=customer_ids):
        found.setdefault(point.customer_id, {})[point.pk] = point
    people_of = points.filter(person__memberships__customer_id__in=customer_ids)
    for point in people_of.annotate(account=F("person__memberships__customer_id")):
        found.setdefault(point.account, {})[point.pk] = point
    return {cid: [by_pk[pk] for pk in sorted(by_pk)] for cid, by_pk in found.items()}


def working_channel_flags(customer_ids: list[int]) -> dict[int, bool]:
    """For a list page: which customers have at least one contact point that is not failing."""
    # The same two index lookups as points_by_customer, reading ids only: the inbox asks it for fifty rows,
    # and building the points themselves cost it twice the time.
    usable = ContactPoint.objects.exclude(state__in=ContactState.unusable())
    reachable = set(usable.filter(customer_id__in=customer_ids).values_list("customer_id", flat=True))
    people = usable.filter(person__memberships__customer_id__in=customer_ids)
    reachable.update(people.values_list("person__memberships__customer_id", flat=True))
    return {cid: cid in reachable for cid in customer_ids}
