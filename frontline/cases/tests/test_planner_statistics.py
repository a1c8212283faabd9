"""A plan PostgreSQL makes at a million cases.

The unassigned inbox is planned from the joint frequencies of "open" and "no owner" (migration cases 0014):
closed cases all have an owner, open ones often not, and planned as independent the unassigned inbox at a
million cases was sorted whole (63 ms) instead of read from the inbox index (1.5 ms)."""

import datetime

import pytest
from django.db import connection

from frontline.cases.models import Case, CaseStatus

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
