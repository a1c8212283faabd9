"""A fan-out larger than a chunk: its first notices are stored with it and sent at once, a job stores the rest
a chunk per transaction, and a job that dies leaves no notice half-stored, none twice, and is taken over."""

from datetime import timedelta

import pytest

from frontline.core import clock
from frontline.customers import services as customers
from frontline.notifications import services, storing
from frontline.notifications.models import FanOut, Notification
from frontline.notifications.tests.helpers import T0
from frontline.tests.helpers import queued_task_paths, run_queued_jobs

pytestmark = pytest.mark.django_db(transaction=True)
STALLED = timedelta(seconds=120)  # settings.FRONTLINE_FANOUT_STALLED_SECONDS


@pytest.fixture
def eight(monkeypatch, settings, smtp_server):
    """Eight customers with an address each, and chunks of three notices."""
    settings.FRONTLINE_FANOUT_CHUNK = 3
    monkeypatch.setattr(storing, "INSERT_BATCH", 2)
    made = []
    for n in range(8):
        customer = customers.create_customer(name=f"Customer {n}", customer_since="2020-01-01")
        customers.add_contact_point(customer=customer, kind="email", value=f"ops{n}@example.com")
        made.append(customer)
    return made


def _start(people) -> FanOut:
    with clock.frozen_at(T0):
        return services.fan_out(
            subject_kind="maintenance",
            subject_id="MW-3",
            title="Storage maintenance tonight",
            body="Sites may be read-only from 22:00 to 23:00 UTC.",
            urgency="routine",
            customers=people,
        )


def _told(fanout: FanOut) -> list[int]:
    return sorted(Notification.objects.filter(fanout=fanout).values_list("customer_id", flat=True))


def test_the_first_chunk_is_stored_with_the_fan_out_and_a_job_stores_the_rest(eight):
    # when a lead starts a fan-out to eight customers
    fanout = _start(eight)
    # then the first three notices exist at once, with the job that stores the rest and their first rungs
    assert (fanout.total, fanout.stored, len(_told(fanout))) == (8, 3, 3)
    queued = queued_task_paths()
    assert storing.STORE in queued and "frontline.notifications.tasks.dispatch_ladders" in queued
    # and pages reading the fan-out leave the recipients still to store in the database (megabytes at scale)
    assert "audience" in FanOut.objects.get(pk=fanout.pk).get_deferred_fields()
    assert len(FanOut.objects.filter(pk=fanout.pk).values_list("audience", flat=True).get()) == 5
    # when the workers run a minute later
    with clock.frozen_at(T0 + timedelta(minutes=1)):
        run_queued_jobs()
    # then every customer has one notice, each dated from the fan-out's start, and nothing is left to store
    fanout.refresh_from_db()
    assert _told(fanout) == sorted(c.pk for c in eight)
    assert (fanout.stored, fanout.audience) == (8, [])
    assert set(Notification.objects.filter(fanout=fanout).values_list("created_at", flat=True)) == {T0}
    assert Notification.objects.filter(fanout=fanout, body__startswith="Sites may be read-only").count() == 8


def test_a_job_that_dies_mid_chunk_stores_nothing_of_it_and_another_job_takes_over(eight, monkeypatch):
    fanout = _start(eight)
    # given the storing job dies in its second chunk (the process killed between two statements)
    real_create, calls = storing._create, []

    def dies_the_second_time(*args):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("killed")
        real_create(*args)

    monkeypatch.setattr(storing, "_create", dies_the_second_time)
    with pytest.raises(SystemExit):
        storing.store_rest(fanout.pk)
    monkeypatch.setattr(storing, "_create", real_create)
    # then its first chunk is stored and counted, and of the second nothing
    fanout.refresh_from_db()
    assert (fanout.stored, len(_told(fanout))) == (6, 6)
    # and within two minutes of the last chunk nobody takes over (the job may only be slow)
    with clock.frozen_at(fanout.stored_at + STALLED - timedelta(seconds=1)):
        assert storing.resume_stalled() == 0
    # when two minutes have passed with no chunk stored
    with clock.frozen_at(fanout.stored_at + STALLED + timedelta(seconds=1)):
        assert storing.resume_stalled() == 1
        run_queued_jobs()  # the job queued at the start, and the one taking over
    # then every customer has exactly one notice
    fanout.refresh_from_db()
    assert _told(fanout) == sorted(c.pk for c in eight) and fanout.stored == 8


def test_two_jobs_storing_one_fan_out_take_turns_and_store_nobody_twice(eight):
    fanout = _start(eight)
    # when one job stores a chunk and hands the rest on, and another (taking over) stores the rest
    assert storing.store_rest(fanout.pk, seconds=0) == 3
    assert storing.store_rest(fanout.pk) == 2
    # then the job handed on, and the one queued at the start, find nothing left to store
    with clock.frozen_at(T0 + timedelta(minutes=1)):
        run_queued_jobs()
    assert _told(fanout) == sorted(c.pk for c in eight)


def test_a_person_acting_for_several_accounts_keeps_one_notice_naming_them_across_chunks(eight):
    # given Ada acting for the last three accounts: her notice comes after the accounts', stored by the job
    ada = customers.add_person(eight[5], name="Ada Ops")
    customers.add_contact_point(person=ada, kind="email", value="ada@example.com")
    for customer in eight[6:]:
        customers.link_person(ada, customer, role="owner")
    fanout = _start(eight)
    assert (fanout.total, fanout.stored) == (9, 3)
    storing.store_rest(fanout.pk)
    # then Ada has one notice of her own naming the three, and the accounts' own notices leave her out
    [hers] = Notification.objects.filter(fanout=fanout, person=ada)
    assert "3 accounts you act for: Customer 5, Customer 6, Customer 7" in hers.body
    theirs = Notification.objects.filter(fanout=fanout, person=None, customer__in=eight[5:])
    assert [n.skip_people for n in theirs] == [[ada.pk]] * 3


def test_the_progress_counts_the_notices_stored_while_a_job_stores_them(eight, signed_in_lead):
    fanout = _start(eight)
    progress = signed_in_lead.get(f"/api/v1/notifications/fanouts/{fanout.pk}").json()
    assert (progress["stored"], progress["total"]) == (3, 8)
    page = signed_in_lead.get(f"/notify/fanouts/{fanout.pk}/").content.decode()
    assert 'id="count-stored">3</span> of 8' in page and '<p id="storing">' in page
    storing.store_rest(fanout.pk)
    page = signed_in_lead.get(f"/notify/fanouts/{fanout.pk}/").content.decode()
    assert '<p id="storing" hidden>' in page
