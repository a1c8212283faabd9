"""Keeping the pre-aggregates: from scratch, or incrementally from the events recorded since the last pass.

An event about a case re-derives that case's problem (its root, after any merge). A contact's class depends
on facts from before it (an action of ours, a notice, an incident), which are in the database by the time
the contact's own event is taken in; the one fact recorded after the time it speaks of is an incident's
start (monitoring opens it from the first alert, minutes later): its opening re-derives the problems with
a contact of an affected customer in between. A problem's rows are always derived whole (derive.py), so
taking in events one by one or all at once gives the same rows: tests/test_refresh.py compares the two.

Nothing here is on intake's path: the periodic job "measures" calls `refresh` every minute.
"""

import datetime

from django.db import transaction
from django.db.models import Max

from frontline.cases.models import Case, Direction, Message
from frontline.core import clock
from frontline.events.models import Event
from frontline.incidents.events import INCIDENT_OPENED
from frontline.incidents.models import Affected, Incident
from frontline.measures import cells
from frontline.measures.derive import Rules, derive
from frontline.measures.models import Contact, Problem, Watermark, WeekFigure

CHUNK = 2000
# Events this young are left for the next pass: on PostgreSQL an event with a lower id can commit after one
# with a higher id, and a pass must not step over it.
SETTLE = datetime.timedelta(seconds=10)


def rebuild() -> int:
    """Every problem derived again from scratch; answers how many."""
    rules = Rules.load()
    with transaction.atomic():
        _one_writer()
        last = Event.objects.aggregate(last=Max("pk"))["last"] or 0
        Contact.objects.all().delete()
        Problem.objects.all().delete()
        WeekFigure.objects.all().delete()
        roots = list(
            Case.objects.filter(merged_into__isnull=True).order_by("pk").values_list("pk", flat=True)
        )
        weeks = set()
        for start in range(0, len(roots), CHUNK):
            weeks |= _write(roots[start : start + CHUNK], rules)
        cells.recompute(weeks)
        _mark(last)
    return len(roots)


def refresh(*, limit: int = 100_000, settle: datetime.timedelta = SETTLE) -> int:
    """Take in up to `limit` events recorded since the last pass; answers how many were taken in."""
    mark = Watermark.objects.order_by("pk").first()
    after = mark.last_event_id if mark else 0
    found = list(
        Event.objects.filter(pk__gt=after, at__lte=clock.now() - settle)
        .order_by("pk")
        .values_list("pk", "case_id", "customer_id", "kind", "at", "data")[:limit]
    )
    if not found:
        return 0
    cases = set()
    for _, case_id, _, kind, at, data in found:
        if case_id is not None:
            cases.add(case_id)
        elif kind == INCIDENT_OPENED and isinstance(data, dict) and data.get("incident_id"):
            cases.update(_contacted_before_it_opened(data["incident_id"], at))
    with transaction.atomic():
        if _one_writer() != after:
            return 0  # another pass took these events in while this one read them
        cells.recompute(_rederive(cases, Rules.load()))
        _mark(found[-1][0])
    return len(found)


def _one_writer() -> int:
    """Hold the watermark's row lock for the rest of the transaction, and answer the watermark as it now
    stands. Two writers of the same problems' rows at once (two passes on two workers when the queue was
    behind, or a pass and a person's correction) would each delete them and insert them again, and on
    PostgreSQL the second's inserts collide with the first's. SQLite's writer lock already does this."""
    mark = Watermark.objects.select_for_update().order_by("pk").first()
    return mark.last_event_id if mark else 0


def _contacted_before_it_opened(incident_id: int, opened_at) -> set[int]:
    """Cases with a contact from a customer the incident reaches, between its start and its opening."""
    started = Incident.objects.filter(pk=incident_id).values_list("started_at", flat=True).first()
    if started is None:
        return set()
    reached = Affected.objects.filter(incident_id=incident_id).values("customer_id")
    return set(
        Message.objects.filter(
            case__customer_id__in=reached,
            direction=Direction.INBOUND,
            created_at__gte=started,
            created_at__lte=opened_at,
        ).values_list("case_id", flat=True)
    )


def rederive_cases(case_ids) -> None:
    """Derive these cases' problems again now (a person's correction shows at once)."""
    with transaction.atomic():
        _one_writer()
        cells.recompute(_rederive(set(case_ids), Rules.load()))


def _rederive(case_ids: set[int], rules: Rules) -> set[datetime.date]:
    """Derive the problems of these cases again, a chunk at a time (a database takes only so many
    parameters a statement); answers the weeks whose figures changed."""
    ids, weeks = sorted(case_ids), set()
    for start in range(0, len(ids), CHUNK):
        weeks |= _rederive_chunk(set(ids[start : start + CHUNK]), rules)
    return weeks


def _rederive_chunk(case_ids: set[int], rules: Rules) -> set[datetime.date]:
    parents = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "merged_into"))
    roots = set()
    for pk in parents:
        seen, at = set(), pk
        while parents.get(at) is not None and at not in seen:
            seen.add(at)
            at = parents[at]
            if at not in parents:
                parents.update(Case.objects.filter(pk=at).values_list("pk", "merged_into"))
        roots.add(at)
    ids = sorted(roots)
    # A case merged into another is no longer a problem of its own: its rows go with the rest.
    gone = list(case_ids | roots)
    weeks = _weeks_of(gone)
    Problem.objects.filter(case_id__in=gone).delete()
    for start in range(0, len(ids), CHUNK):
        weeks |= _write(ids[start : start + CHUNK], rules)
    return weeks


def _weeks_of(roots: list[int]) -> set[datetime.date]:
    weeks = set(Problem.objects.filter(case_id__in=roots, week__isnull=False).values_list("week", flat=True))
    return weeks | set(Contact.objects.filter(problem_id__in=roots).values_list("week", flat=True).distinct())


def _write(roots: list[int], rules: Rules) -> set[datetime.date]:
    """Replace these problems' rows; answers the weeks their old and new rows fall in."""
    problems, contacts = derive(roots, rules)
    weeks = _weeks_of(roots)
    Problem.objects.filter(case_id__in=roots).delete()
    Problem.objects.bulk_create(problems, batch_size=500)
    Contact.objects.bulk_create(contacts, batch_size=500)
    return weeks | {p.week for p in problems if p.week} | {c.week for c in contacts}


def _mark(last_event_id: int) -> None:
    updated = Watermark.objects.update(last_event_id=last_event_id, refreshed_at=clock.now())
    if not updated:
        Watermark.objects.create(last_event_id=last_event_id, refreshed_at=clock.now())


def refreshed_at():
    mark = Watermark.objects.order_by("pk").first()
    return mark.refreshed_at if mark else None
