"""Asking the customer whether the fix works for them, and what their answer does.

We think a problem is fixed (monitoring saw the unit recover, an incident was resolved): the case is
resolved on that evidence and the customer is sent a signed link. Its page shows three buttons and changes
nothing on a GET (mail scanners follow links); the POST of "yes" closes the case, "no" and "partly" reopen
it with what still fails as their message, counted as failure demand ("still broken after we said fixed"),
which raises its priority. The answer is an event on the case.
"""

from datetime import timedelta

from django.db import transaction

from frontline.cases import events
from frontline.cases.demand import mark_failure
from frontline.cases.lifecycle import set_priority, transition
from frontline.cases.models import Case, CaseStatus
from frontline.core import clock, links
from frontline.core.errors import Conflict, ServiceError

CONFIRM_SALT = "frontline.cases.confirm"
# The link outlives the wait: an answer after the case closed as unconfirmed is told so, not refused unseen.
LINK_AGE = timedelta(days=14)
# No answer this long after we asked: the case closes as unconfirmed (counted apart from a confirmed fix).
UNCONFIRMED_AFTER = timedelta(days=7)
STILL_BROKEN = "still broken after we said fixed"


class Answer:
    YES = "yes"  # it works for them: the case closes
    NO = "no"  # it does not: the case reopens
    PARTLY = "partly"  # some of it works: the case reopens with what still fails
    ALL = (YES, NO, PARTLY)


def confirm_link(case: Case) -> str:
    return links.make_link("confirm", {"case": case.pk}, salt=CONFIRM_SALT)


def case_for_link(token: str) -> Case:
    data = links.read_link(
        token, salt=CONFIRM_SALT, max_age=LINK_AGE, ids=("case",), expired="this link has expired"
    )
    case = Case.objects.select_related("customer").filter(pk=data["case"]).first()
    if case is None:
        raise ServiceError(links.NOT_VALID, field="token")
    return case


@transaction.atomic
def resolve_on_evidence(case: Case, *, notes: str, actor_label: str, via: str) -> Case:
    """Resolved by the system on evidence (the unit recovered, the incident is resolved), not by a person;
    the customer is asked to confirm. A case already finished is left as it is."""
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
    if not case.is_open:
        return case
    case.resolution_notes = case.resolution_notes or notes
    transition(case, CaseStatus.RESOLVED, by=None, via=via, actor_label=actor_label)
    case.updated_at = clock.now()
    set_priority(case)
    case.save()
    return case


def confirm_fix(case: Case, *, answer: str, words: str = "", via: str = "link") -> Case:
    """The customer's answer to "does it work for you now?"."""
    from frontline.cases.services import record_inbound_message  # services imports this module's names

    if answer not in Answer.ALL:
        raise ServiceError("answer yes, no or partly", field="answer")
    words = words.strip()[:2000]
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
        if case.status != CaseStatus.RESOLVED:
            raise Conflict("this case is not waiting for your confirmation", field="answer")
        events.fix_confirmed(case=case, answer=answer, words=words, via=via)
        if answer == Answer.YES:
            transition(case, CaseStatus.CLOSED, by=None, via=via, actor_label="the customer confirmed")
            case.updated_at = clock.now()
            case.save()
            return case
        said = "It is not fixed." if answer == Answer.NO else "It is only partly fixed."
        record_inbound_message(
            case, channel="web", body=f"{said} {words}".strip(), via=via, subject="Not fixed"
        )
        case.refresh_from_db()
        mark_failure(case, STILL_BROKEN)
        set_priority(case)
        case.save(update_fields=["demand_type", "failure_reason", "priority", "priority_explanation"])
    return case


def close_unconfirmed(*, limit: int = 500) -> int:
    """Cases resolved on our side whose customer has not answered in UNCONFIRMED_AFTER close as
    unconfirmed, each in its own transaction. Answers how many closed."""
    cutoff = clock.now() - UNCONFIRMED_AFTER
    closed = 0
    for pk in Case.objects.filter(status=CaseStatus.RESOLVED, resolved_at__lt=cutoff).values_list(
        "pk", flat=True
    )[:limit]:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pk)
            if case.status != CaseStatus.RESOLVED or case.resolved_at >= cutoff:
                continue  # the customer answered meanwhile
            events.fix_unconfirmed(case=case, days=UNCONFIRMED_AFTER.days)
            transition(case, CaseStatus.CLOSED, by=None, via="worker", actor_label="no answer in 7 days")
            case.updated_at = clock.now()
            case.save()
            closed += 1
    return closed
