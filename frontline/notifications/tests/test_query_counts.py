"""Pages and progress that a person watches while an outage goes on cost the same number of queries however
many notifications, attempts and failures there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontline.core import clock
from frontline.notifications import services
from frontline.notifications.tests.helpers import T0, tick
from frontline.notifications.tests.test_evidence_and_fanout import _customers

pytestmark = pytest.mark.django_db(transaction=True)


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def _fan_out(people, subject_id: str):
    with clock.frozen_at(T0):
        fanout = services.fan_out(
            subject_kind="maintenance",
            subject_id=subject_id,
            title="Maintenance on web-07 tonight",
            body="Sites on web-07 will be unavailable from 22:00 to 22:30 UTC.",
            urgency="routine",
            customers=people,
        )
    tick(T0)
    return fanout


def test_fan_out_progress_costs_the_same_queries_for_one_failure_or_many(smtp_server, signed_in):
    # given a fan-out to three customers with one address refused, and one to nine with four refused
    people = _customers(12)
    for n in (0, 3, 4, 5, 6):
        smtp_server.refuse[f"ops{n}@example.com"] = "550 5.1.1 no such user"
    small, large = _fan_out(people[:3], "MW-1"), _fan_out(people[3:], "MW-2")
    # when each one's progress is read
    small_queries = _queries(signed_in, f"/notify/fanouts/{small.pk}/progress.json")
    large_queries = _queries(signed_in, f"/notify/fanouts/{large.pk}/progress.json")
    # then each is counted in full, for the same queries
    progress = signed_in.get(f"/notify/fanouts/{large.pk}/progress.json").json()
    assert progress["total"] == 9 and progress["failing"] == 4 and len(progress["failures"]) == 4
    assert large_queries == small_queries


def test_a_customers_notifications_page_costs_the_same_queries_for_one_notice_or_several(
    smtp_server, signed_in
):
    [customer] = _customers(1)

    def notice(n: int):
        with clock.frozen_at(T0):
            services.notify(
                customer,
                subject_kind="maintenance",
                subject_id=f"MW-{n}",
                title=f"Maintenance {n}",
                body="Sites on web-07 will be unavailable tonight.",
                urgency="routine",
            )
        tick(T0)

    notice(1)
    one = _queries(signed_in, f"/customers/{customer.pk}/notifications/")
    for n in range(2, 5):
        notice(n)
    page = signed_in.get(f"/customers/{customer.pk}/notifications/").content.decode()
    four = _queries(signed_in, f"/customers/{customer.pk}/notifications/")
    assert all(f"Maintenance {n}" in page for n in range(1, 5))
    assert four == one
