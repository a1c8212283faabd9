"""A promised callback's timer is a row (`CallbackDue`): judged once however many take it, and given to the
promises that stood when the rows came in."""

import datetime
import importlib

import pytest
from django.apps import apps

from frontline.cases import calls, events
from frontline.cases import services as cases
from frontline.cases.models import CallbackDue, Case
from frontline.core import clock
from frontline.events.models import Event, EventKind

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _promised(customer, agent, due) -> Case:
    case = cases.open_case(
        customer=customer, subject="No connection", body="Since this morning", channel="phone"
    )
    cases.promise_callback(case, by=agent, due_at=due)
    return Case.objects.get(pk=case.pk)


def test_a_promise_is_judged_once_by_a_job_queued_before_the_rows_and_by_the_recurring_job(sam, tom):
    # given a promise whose time has come
    start = clock.now()
    case = _promised(sam, tom, start + HOUR)
    with clock.frozen_at(start + 2 * HOUR):
        # when the job an earlier release queued for it runs, and the recurring job after it
        judged = [cases.check_callback(case.pk, case.callback_due_at.isoformat()), cases.check_callbacks()]
    # then the miss is recorded once
    assert judged == [True, 0]
    assert Event.objects.filter(case=case, kind=EventKind.CALLBACK_MISSED).count() == 1


def test_a_promise_replaced_by_a_later_one_is_not_missed_at_the_first_time(sam, tom):
    # given a promise moved an hour later before its time
    start = clock.now()
    case = _promised(sam, tom, start + HOUR)
    cases.promise_callback(case, by=tom, due_at=start + 2 * HOUR)
    # when the first time passes, then nothing is missed; when the second passes, it is
    with clock.frozen_at(start + HOUR + datetime.timedelta(minutes=1)):
        assert cases.check_callbacks() == 0
    with clock.frozen_at(start + 2 * HOUR + datetime.timedelta(minutes=1)):
        assert cases.check_callbacks() == 1
    assert not CallbackDue.objects.exists()


def test_a_promise_that_cannot_be_judged_holds_up_no_other_and_is_tried_again(sam, tom, monkeypatch):
    # given two promises whose time has come, the first on a case our code fails on
    start = clock.now()
    broken, fine = _promised(sam, tom, start + HOUR), _promised(sam, tom, start + HOUR)
    real = calls.set_priority

    def fails_on_the_broken_case(case, *args, **kwargs):
        if case.pk == broken.pk:
            raise RuntimeError("a bug of ours")
        return real(case, *args, **kwargs)

    monkeypatch.setattr(calls, "set_priority", fails_on_the_broken_case)
    # when the recurring job runs
    with clock.frozen_at(start + 2 * HOUR):
        assert cases.check_callbacks() == 1
    # then the other promise is judged, and the broken one keeps its timer for the next pass
    assert Event.objects.filter(case=fine, kind=EventKind.CALLBACK_MISSED).exists()
    assert list(CallbackDue.objects.values_list("case_id", flat=True)) == [broken.pk]


def test_the_upgrade_gives_a_timer_to_each_promise_still_standing_and_none_to_one_judged(sam, tom):
    # given three promises made before timers were rows: one to come, one missed and recorded, and one
    # whose time passed with nothing recorded (on RQ its job was never run)
    start = clock.now()
    to_come = _promised(sam, tom, start + HOUR)
    with clock.frozen_at(start - 3 * HOUR):
        recorded = _promised(sam, tom, start - 2 * HOUR)
        lost = _promised(sam, tom, start - HOUR)
    events.callback_missed(case=recorded, due_at=recorded.callback_due_at.isoformat())
    CallbackDue.objects.all().delete()
    # when the migration that brings the rows runs
    migration = importlib.import_module("frontline.cases.migrations.0016_callback_timer_row")
    migration.timers_for_standing_promises(apps, None)
    # then the promise to come and the one never judged have timers, and the one judged has none
    assert set(CallbackDue.objects.values_list("case_id", "due_at")) == {
        (to_come.pk, to_come.callback_due_at),
        (lost.pk, lost.callback_due_at),
    }
