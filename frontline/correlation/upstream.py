"""The upstream elements a case's units run on: our components named by a unit's hostname or one of its
dependency labels (monitoring/blast.py reads the same tree downwards). Components are few and change
rarely, so each process keeps them in memory and rereads them when a component was saved anywhere (a
stamp in the shared cache, changed on every save): a new case's elements cost no query on intake's path."""

from dataclasses import dataclass

from django.conf import settings

from frontline.correlation import stamps
from frontline.monitoring.models import Component

COMPONENTS_STAMP = "components"


@dataclass(frozen=True)
class Element:
    pk: int
    kind: str
    name: str
    group: str
    parent_id: int | None

    @property
    def fields(self) -> dict:
        return {"kind": self.kind, "name": self.name, "group": self.group}

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


class Components:
    def __init__(self):
        self.by_name: dict[str, Element] = {}
        self.by_pk: dict[int, Element] = {}
        self.stamp = None

    def clear(self) -> None:
        self.stamp = None

    def get(self) -> dict[str, Element]:
        stamp = stamps.current(COMPONENTS_STAMP)
        if stamp != self.stamp:
            rows = Component.objects.values_list("pk", "kind", "name", "group", "parent_id")
            self.by_name = {row[2]: Element(*row) for row in rows}
            self.by_pk = {e.pk: e for e in self.by_name.values()}
            self.stamp = stamp
        return self.by_name

    def with_ancestors(self, elements) -> list[int]:
        ids, seen = [], set()
        for element in elements:
            while element is not None and element.pk not in seen:
                seen.add(element.pk)
                ids.append(element.pk)
                element = self.by_pk.get(element.parent_id)
        return ids


components = Components()


def of_units(units) -> list[Element]:
    """The components the units run on, and those above them (the router above the switch), each once, in
    a stable order: a rule's condition chooses which kind it counts (`element.kind == "router"` sees a
    fault behind several switches as one group)."""
    if not units:
        return []
    by_name = components.get()
    found: dict[int, Element] = {}
    for unit in units:
        names = [unit.hostname] if unit.hostname else []
        labels = unit.labels or {}
        names += [str(labels[label]) for label in settings.FRONTLINE_DEPENDENCY_LABELS if label in labels]
        for name in names:
            element = by_name.get(name)
            while element is not None and element.pk not in found:
                found[element.pk] = element
                element = components.by_pk.get(element.parent_id)
    return sorted(found.values(), key=lambda e: e.pk)


def component_saved() -> None:
    """A component was added, renamed, moved or removed, by any path (the admin too): reread everywhere."""
    components.clear()
    stamps.change(COMPONENTS_STAMP)
