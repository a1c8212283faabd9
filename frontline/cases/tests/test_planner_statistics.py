"""Plans PostgreSQL makes at a million cases and fifty million events.

The unassigned inbox is planned from the joint frequencies of "open" and "no owner" (migration cases 0014):
closed cases all have an owner, open ones often not, and planned as independent the unassigned inbox at a
million cases was sorted whole (63 ms) instead of read from the inbox index (1.5 ms). The measures' read of
our actions by customer uses its own partial index (3.4 s to 0.2 ms for 2,000 customers), where the customer
timeline index would read every event of theirs."""

import datetime

import pytest
from django.db import connection

from frontline.cases.models import Case, CaseStatus
from frontline.events.models import Event, EventKind

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's; SQLite keeps none"
    ),
]

AT = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def _cases(customer, tom, *, count: int, is_open: bool, owned: bool) -> list[Case]:
    return [
        Case(
            customer=customer,
            subject=f"Case {n}",
            status=CaseStatus.NEW if is_open else CaseStatus.CLOSED,
            is_open=is_open,
            assignee=tom if owned else None,
            problem_started_at=AT,
            created_at=AT,
            updated_at=AT,
        )
        for n in range(count)
    ]


def test_the_planner_knows_open_cases_are_the_unowned_ones(sam, tom):
    # given 3,000 closed cases, every one owned, and 100 open ones, half of them unowned
    Case.objects.bulk_create(
        _cases(sam, tom, count=3000, is_open=False, owned=True)
        + _cases(sam, tom, count=50, is_open=True, owned=True)
        + _cases(sam, tom, count=50, is_open=True, owned=False)
    )
    # when the statistics are gathered (autovacuum's ANALYZE) and the unowned open cases planned
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT id FROM cases_case WHERE is_open AND assignee_id IS NULL"
        )
        estimate = cursor.fetchone()[0][0]["Plan"]["Plan Rows"]
    # then the estimate is near the 50 there are (as independent columns: 3100 x 100/3100 x 50/3100, about 2)
    assert 25 <= estimate <= 100


def test_our_actions_by_customer_are_read_from_their_own_index(sam):
    # given a customer with events (the measures ask, for a chunk of customers, when we acted on them)
    # when PostgreSQL plans that read
    query = Event.objects.filter(kind=EventKind.DECISION_APPLIED, customer_id__in=[sam.pk, sam.pk + 1])
    sql, params = query.values_list("customer_id", "at").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # an empty table is scanned whatever its indexes
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    # then it reads the actions' partial index, not every event of those customers
    assert "event_customer_actions" in plan
