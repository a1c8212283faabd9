"""Blast radius: what a component's or unit's trouble reaches, computed from the service tree.

Downwards only: a component reaches the components that hang off it, the customers' units that run on any
of those (by hostname, or by a dependency label such as relay="smtp-2"), and everything under those units
in each customer's tree (an account's sites, a line's ports and hosts). The customers are the owners of the
units reached.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from frontline.customers.models import ServiceUnit
from frontline.monitoring.models import Component


@dataclass
class Radius:
    components: list[Component]
    unit_ids: list[int]
    by_customer: dict[int, list[int]]  # customer id -> the ids of their units reached

    @property
    def customer_ids(self) -> list[int]:
        return sorted(self.by_customer)


def components_under(roots: list[Component]) -> list[Component]:
    found = {c.pk: c for c in roots}
    frontier = [c.pk for c in roots]
    while frontier:
        children = list(Component.objects.filter(parent_id__in=frontier).exclude(pk__in=found))
        found.update((c.pk, c) for c in children)
        frontier = [c.pk for c in children]
    return list(found.values())


def units_under(unit_ids: list[int]) -> list[int]:
    """The given units and everything below them in their customers' trees."""
    found = set(unit_ids)
    frontier = list(unit_ids)
    while frontier:
        children = list(
            ServiceUnit.objects.filter(parent_id__in=frontier)
            .exclude(pk__in=found)
            .values_list("pk", flat=True)
        )
        found.update(children)
        frontier = children
    return sorted(found)


def _running_on(names: list[str]) -> Q:
    query = Q(hostname__in=names)
    for label in settings.FRONTLINE_DEPENDENCY_LABELS:
        query |= Q(**{f"labels__{label}__in": names})
    return query


def of_components(roots: list[Component]) -> Radius:
    components = components_under(roots)
    names = [c.name for c in components]
    direct = list(ServiceUnit.objects.filter(_running_on(names)).values_list("pk", flat=True))
    return _with_customers(components, units_under(direct))


def of_units(unit_ids: list[int]) -> Radius:
    return _with_customers([], units_under(unit_ids))


def of(components: list[Component], unit_ids: list[int]) -> Radius:
    """Both: what the components reach, and the units named with everything under them."""
    above, below = of_components(components), of_units(unit_ids)
    return _with_customers(above.components, sorted(set(above.unit_ids) | set(below.unit_ids)))


def _with_customers(components, unit_ids: list[int]) -> Radius:
    by_customer: dict[int, list[int]] = {}
    for start in range(0, len(unit_ids), 5000):
        chunk = unit_ids[start : start + 5000]
        for pk, customer_id in ServiceUnit.objects.filter(pk__in=chunk).values_list("pk", "customer_id"):
            by_customer.setdefault(customer_id, []).append(pk)
    return Radius(components=components, unit_ids=unit_ids, by_customer=by_customer)
