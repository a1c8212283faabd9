"""Weekly sums per slice (`WeekFigure`), recomputed whole for each week a refresh touched.

A week's cells are a function of that week's problems and contacts only, so recomputing the weeks whose rows
changed keeps them equal to a recomputation of every week (tests/test_refresh.py compares the two). The
same summing gives a customer's own weeks, from their few rows, when their page asks.
End-to-end times go into a histogram of buckets 2% wide, from which percentiles are read to within 1%.
"""

import datetime
import math

from frontline.measures.models import Contact, Outcome, Problem, WeekFigure

RATIO = 1.02
FINISHED = (Outcome.CONFIRMED, Outcome.CLOSED)  # unconfirmed problems are counted apart
# slice name -> the problem's field that says which one ("" is every customer).
DIMENSIONS = {"": None, "topic": "topic_id", "team": "team_id", "agent": "agent_id", "tier": "tier"}
_PROBLEM = ("week", "outcome", "minutes", "contacts", "first_contact", "reopened", "proactive")


def bucket(minutes: float) -> int:
    """Bucket b holds [RATIO**(b-1), RATIO**b) minutes; bucket 0 everything under a minute."""
    return 0 if minutes < 1 else 1 + int(math.log(minutes) / math.log(RATIO))


def middle(b: int) -> float:
    """The geometric middle of a bucket, in minutes: within 1% of every time in it."""
    return 0.5 if b == 0 else RATIO ** (b - 0.5)


def percentile_of(histogram: dict, q: int) -> float | None:
    """The q-th percentile (nearest rank) of the minutes a histogram holds."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(1, -(-q * total // 100)), 0
    for b in sorted(histogram, key=int):
        seen += histogram[b]
        if seen >= rank:
            return middle(int(b))
    return None


def recompute(weeks: set[datetime.date]) -> None:
    """Replace the cells of these weeks with sums of their problems and contacts."""
    weeks = sorted(weeks)
    for start in range(0, len(weeks), 8):
        chunk = weeks[start : start + 8]
        WeekFigure.objects.filter(week__in=chunk).delete()
        summed = sums(
            Problem.objects.filter(week__in=chunk), Contact.objects.filter(week__in=chunk), DIMENSIONS
        )
        WeekFigure.objects.bulk_create(summed.values(), batch_size=500)


def sums(problems, contacts, dimensions: dict[str, str | None]) -> dict[tuple, WeekFigure]:
    """(week, by, value) -> its unsaved cell, summed from these problems (those that ended) and contacts."""
    fields = [field for field in dimensions.values() if field]
    cells: dict[tuple, WeekFigure] = {}

    def targets(week, values):
        for (by, field), value in zip(dimensions.items(), values, strict=True):
            if field and value is None:
                continue  # no topic (or owner) yet: in "all", not in a slice of its own
            key = (week, by, "" if not field else str(value))
            if key not in cells:
                cells[key] = WeekFigure(week=key[0], by=by, value=key[2], by_type={}, histogram={})
            yield cells[key]

    rows = problems.filter(week__isnull=False).values_list(*_PROBLEM, *fields)
    for week, outcome, minutes, contact_count, first_contact, reopened, proactive, *values in rows.iterator(
        chunk_size=5000
    ):
        values = [None if not field else values[fields.index(field)] for field in dimensions.values()]
        finished = outcome in FINISHED
        b = str(bucket(minutes or 0.0))
        for cell in targets(week, values):
            cell.ended += 1
            cell.unconfirmed += outcome == Outcome.UNCONFIRMED
            cell.reopened += reopened
            cell.proactive += proactive
            if finished:
                cell.finished += 1
                cell.minutes += minutes or 0.0
                cell.finished_contacts += contact_count
                cell.first_contact += first_contact
                cell.histogram[b] = cell.histogram.get(b, 0) + 1
    through = [f"problem__{field}" for field in fields]
    for week, failure_type, *values in contacts.values_list("week", "failure_type", *through).iterator(
        chunk_size=5000
    ):
        values = [None if not field else values[fields.index(field)] for field in dimensions.values()]
        for cell in targets(week, values):
            cell.contacts += 1
            if failure_type:
                cell.failed += 1
                cell.by_type[failure_type] = cell.by_type.get(failure_type, 0) + 1
    for cell in cells.values():
        cell.minutes = round(cell.minutes, 2)  # the same sum whichever order the rows came in
    return cells
