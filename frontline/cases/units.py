"""The service units a case is about. A case opened with units has them from the start; a case that arrived
by mail or chat gets the units its messages name (`customers.mentions`), and a person adds or removes
them. Units drive the repeat rule, the reach term of priority and the incidents a case joins."""

from django.db import transaction

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.cases import events
from frontline.cases.lifecycle import set_priority
from frontline.cases.models import Case
from frontline.core import clock, rows
from frontline.core.errors import ServiceError
from frontline.customers.mentions import named_units
from frontline.customers.models import ServiceUnit

NAMED = "named in the message"


def attach_named(case: Case, text: str, *, via: str) -> list[ServiceUnit]:
    """Attach the customer's units the text names that the case does not have yet: one query when it names
    none. The caller, in the message's transaction, saves the case's reach (and score)."""
    named = named_units(case.customer_id, text)
    if not named:
        return []
    marks = ", ".join(["%s"] * len(named))
    linked = rows.fetch_all(f"{_LINKED} AND serviceunit_id IN ({marks})", [case.pk, *(u.pk for u in named)])
    have = {pk for (pk,) in linked}
    new = [u for u in named if u.pk not in have]
    if new:
        link(case, new)
        case.affected_reach += sum(u.end_users for u in new)
        events.units_attached(case=case, units=new, reason=NAMED, by=None, via=via)
    return new


_LINKED = "SELECT serviceunit_id FROM cases_case_affected_units WHERE case_id = %s"


def link(case: Case, units) -> None:
    """Attach units the case does not have. (Plain SQL: intake attaches the units a message names, and the
    related manager reads the links before it writes them.)"""
    rows.execute_many(
        "INSERT INTO cases_case_affected_units (case_id, serviceunit_id) VALUES (%s, %s)",
        [(case.pk, unit.pk) for unit in units],
    )


@transaction.atomic
def attach_units(
    case: Case, units: list[ServiceUnit], *, by: Agent, reason: str = "", via: str = "web"
) -> Case:
    """A person says the case is about these units too."""
    require(by, Capability.WORK_CASES)
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
    if not units:
        raise ServiceError("choose at least one unit", field="unit_ids")
    if any(u.customer_id != case.customer_id for u in units):
        raise ServiceError("a unit of another customer cannot be attached to this case", field="unit_ids")
    have = set(case.affected_units.values_list("pk", flat=True))
    new = [u for u in units if u.pk not in have]
    if new:
        case.affected_units.add(*new)
        _settle(case)
        events.units_attached(
            case=case, units=new, reason=reason.strip() or "chosen by staff", by=by, via=via
        )
    return case


@transaction.atomic
def detach_unit(case: Case, unit: ServiceUnit, *, by: Agent, via: str = "web") -> Case:
    """A person says the case is not about this unit: the words named it in passing."""
    require(by, Capability.WORK_CASES)
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
    if not case.affected_units.filter(pk=unit.pk).exists():
        raise ServiceError(f"{unit.name} is not attached to {case.ref}", field="unit")
    case.affected_units.remove(unit)
    _settle(case)
    events.unit_detached(case=case, unit=unit, by=by, via=via)
    return case


def _settle(case: Case) -> None:
    """The reach and the score follow the units."""
    case.affected_reach = sum(case.affected_units.values_list("end_users", flat=True))
    case.updated_at = clock.now()
    set_priority(case)
    case.save(update_fields=["affected_reach", "updated_at", "priority", "priority_explanation"])
