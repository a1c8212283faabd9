"""Changes recorded by the provider's CI or configuration management: what changed, where, when, by whom.

Targets are kept as the sender wrote them and resolved to our components (by name) and customers' units
(by name or hostname), so an incident finds the changes made to what it reaches. A target we do not know
is kept and said back, not refused: a change to something outside the inventory is still evidence.
"""

from django.db import IntegrityError, transaction
from django.db.models import Q

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.core import clock
from frontline.core.errors import ServiceError, require_choice
from frontline.customers.models import ServiceUnit
from frontline.monitoring import events
from frontline.monitoring.models import Change, ChangeKind, Component

MAX_TARGETS = 100


def record_change(
    *,
    kind: str,
    summary: str,
    targets: list[str],
    changed_by: str,
    started_at=None,
    finished_at=None,
    detail: str = "",
    tool: str = "",
    link: str = "",
    external_id: str = "",
    by=None,
    via: str = "api",
) -> tuple[Change, bool]:
    """Record it (or, for a retried external id, return the one recorded): (change, created)."""
    if by is not None:
        require(by, Capability.RUN_INCIDENTS)
    require_choice(kind, ChangeKind, "kind")
    summary, changed_by = (summary or "").strip(), (changed_by or "").strip()
    if not summary:
        raise ServiceError("say what changed", field="summary")
    if not changed_by:
        raise ServiceError("say who made the change (a person or a pipeline)", field="changed_by")
    targets = [t.strip() for t in targets or [] if t and t.strip()]
    if not targets:
        raise ServiceError("name what changed: components, hosts or units", field="targets")
    if len(targets) > MAX_TARGETS:
        raise ServiceError(f"at most {MAX_TARGETS} targets in one change", field="targets")
    now = clock.now()
    started_at = started_at or now
    if finished_at is not None and finished_at < started_at:
        raise ServiceError("a change cannot finish before it starts", field="finished_at")
    external_id = (external_id or "").strip() or None
    if external_id:
        existing = Change.objects.filter(external_id=external_id).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            change = Change.objects.create(
                kind=kind,
                summary=summary[:300],
                detail=detail,
                targets=targets,
                started_at=started_at,
                finished_at=finished_at,
                changed_by=changed_by[:200],
                tool=tool[:100],
                link=link[:500],
                external_id=external_id,
                recorded_at=now,
                recorded_by=by,
            )
            components = list(Component.objects.filter(name__in=targets))
            # A component's name is also the hostname of every unit on it: those are reached through the
            # component, not changed themselves. Other names are units' own (a customer's server).
            others = set(targets) - {c.name for c in components}
            units = list(
                ServiceUnit.objects.filter(Q(name__in=others) | Q(hostname__in=others)).values_list(
                    "pk", flat=True
                )[:1000]
            )
            change.components.set(components)
            change.units.set(units)
            events.change_recorded(change=change, by=by, via=via)
    except IntegrityError:  # the same external id, recorded by a concurrent retry
        return Change.objects.get(external_id=external_id), False
    return change, True


def unmatched(change: Change) -> list[str]:
    """The targets that named nothing we know."""
    known = {c.name for c in change.components.all()}
    for name, hostname in change.units.values_list("name", "hostname"):
        known.update((name, hostname))
    return [t for t in change.targets if t not in known]


def changes_near(*, component_ids, unit_ids, since, until) -> list[Change]:
    """Changes to these components or units that started in the window."""
    query = Q(components__in=list(component_ids))
    if unit_ids:
        query |= Q(units__in=list(unit_ids)[:5000])
    return list(
        Change.objects.filter(query, started_at__gte=since, started_at__lte=until)
        .distinct()
        .order_by("started_at")
    )
