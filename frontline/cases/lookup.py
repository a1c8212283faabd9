"""Finding a case by the reference people and integrations use ("C-123"): the one way pages, the API and
other apps do it."""

from django.http import Http404

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases.models import Case

# What the case page and the case API show beside the case itself.
CASE_PAGE = ("customer", "assignee__team", "topic", "requester", "repeat_of")


def find_case(ref: str, *, customer=None, related: tuple[str, ...] = ()) -> Case | None:
    """The case `ref` names (of `customer`, when given), or None for a reference that names none."""
    pk = Case.pk_from_ref(str(ref or ""))
    if pk is None:
        return None
    cases = Case.objects.select_related(*related)
    if customer is not None:
        cases = cases.filter(customer=customer)
    return cases.filter(pk=pk).first()


def access_case(by, ref: str, *, related: tuple[str, ...] = CASE_PAGE) -> Case:
    """The case `ref` names, for someone who may read cases; a 404 that says what a reference looks like."""
    require(by, Capability.WORK_CASES)
    case = find_case(ref, related=related)
    if case is None:
        raise Http404(f"no case {ref!r}: a case reference looks like C-123")
    return case
