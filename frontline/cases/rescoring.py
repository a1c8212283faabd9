"""Rescoring every open case as time passes, in batches, writing only the scores that moved a step.

Rows are read as plain values by field name (the same fields priority.compute_for reads from a case)."""

import datetime
from collections import namedtuple

from django.db import connection, transaction

from frontline.cases import priority
from frontline.cases.models import Case, DemandType
from frontline.core import clock

_SCORED_FIELDS = (
    "pk",
    "customer_id",
    "impact",
    "problem_started_at",
    "affected_reach",
    "awaiting_answer_since",
    "demand_type",
    "failure_reason",
    "chaser_count",
    "repeat_of_id",
    "callback_due_at",
    "created_at",
    "priority_override_points",
    "priority_override_reason",
    "priority_override_until",
    "priority_override_by__display_name",
    "customer__tier",
    "customer__customer_since",
    "customer__monthly_value",
)


# A stored score is rewritten when it moves by at least this much. Every row rewritten costs SQLite about
# 0.1 ms (the row and the four indexes that hold the score), so a pass over a million open cases writes only
# those that moved: a question gains a point every four hours, an outage every fifteen minutes. The case page
# and the API compute the score and its reasons afresh when they show it.
RESCORE_STEP = 1.0


def refresh_open_priorities(batch_size: int = 1000, step: float = RESCORE_STEP) -> int:
    """Age every open case's score: time adds points and overrides expire. A derived number, not a state
    change, so it writes no event. Reads a batch as plain values and writes back, in one short transaction,
    the scores that moved by `step` or more, so intake keeps writing between batches. Answers how many
    scores it rewrote."""
    explanation_field = Case._meta.get_field("priority_explanation")
    table = connection.ops.quote_name(Case._meta.db_table)
    sql = f"UPDATE {table} SET priority = %s, priority_explanation = %s WHERE id = %s"
    now = clock.now()
    # SQLite's driver gives naive UTC timestamps: scoring against a naive "now" spares a million conversions.
    row_now = now.replace(tzinfo=None) if connection.vendor == "sqlite" else now
    recent_since = row_now - datetime.timedelta(days=priority.RECENT_FAILURE_DAYS)
    failures = priority.count_recent_failures(None)  # one pass over the failure-demand cases, not per batch
    rewritten, last_pk = 0, 0
    while True:
        batch = Case.objects.filter(is_open=True, pk__gt=last_pk).order_by("pk")
        rows = _raw_rows(batch.values_list(*_SCORED_FIELDS, "priority")[:batch_size])
        if not rows:
            return rewritten
        updates = []
        for row in map(_Row._make, rows):
            own = row.demand_type == DemandType.FAILURE and row.created_at >= recent_since
            facts = priority.Facts(
                impact=row.impact,
                problem_started_at=row.problem_started_at,
                tier=row.customer__tier,
                reach=row.affected_reach,
                awaiting_answer_since=row.awaiting_answer_since,
                demand_type=row.demand_type,
                failure_reason=row.failure_reason,
                chaser_count=row.chaser_count,
                repeat_of=f"C-{row.repeat_of_id}" if row.repeat_of_id else "",
                callback_due_at=row.callback_due_at,
                customer_since=row.customer__customer_since,
                monthly_value=float(row.customer__monthly_value or 0),
                recent_failures=failures.get(row.customer_id, 0) - own,
                override_points=row.priority_override_points,
                override_reason=row.priority_override_reason,
                override_until=row.priority_override_until,
                override_by=row.priority_override_by__display_name or "",
            )
            score, _ = priority.compute(facts, row_now, explain=False)
            if abs(score - row.priority) >= step:
                score, terms = priority.compute(facts, row_now)
                updates.append((score, explanation_field.get_db_prep_save(terms, connection), row.pk))
        if updates:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, updates)
        rewritten += len(updates)
        last_pk = rows[-1][0]


# A row as the driver gives it, read by field name (the stored score last).
_Row = namedtuple("_Row", [*_SCORED_FIELDS, "priority"])
# Where the customer's start date sits in a row: SQLite gives it as text.
_DATE = _SCORED_FIELDS.index("customer__customer_since")


def _raw_rows(values) -> list[list]:
    """The query's rows straight from the driver, without Django's per-value converters (a third of the
    time of a pass over a million cases). On SQLite, timestamps stay naive UTC and dates come as text."""

    sql, params = values.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        rows = [list(row) for row in rows]
        for row in rows:
            if isinstance(row[_DATE], str):
                row[_DATE] = datetime.date.fromisoformat(row[_DATE])
    return rows
