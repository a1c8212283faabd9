"""Events written together: a block's events in one statement as it ends, naming a case written after them;
discarded with the block's work when it fails; never written without the case they name."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from frontline.cases.models import Case
from frontline.core import clock, rows
from frontline.events.models import Event, EventKind
from frontline.events.services import record, written_together

pytestmark = pytest.mark.django_db

ours = Event.objects.filter(via="test")  # (the fixtures' own events are not these tests')
heard: list[Event] = []


def hear(event: Event) -> None:
    """A listener at FRONTLINE_EVENT_RECORDED, as the webhooks' is."""
    heard.append(event)


def _unwritten_case(customer) -> Case:
    now = clock.now()
    return rows.new(
        Case, customer=customer, subject="Site down", problem_started_at=now, created_at=now, updated_at=now
    )


def test_events_naming_a_case_not_yet_written_are_written_with_it_in_one_statement(sam, settings):
    heard.clear()
    settings.FRONTLINE_EVENT_RECORDED = [f"{__name__}.hear"]
    case = _unwritten_case(sam)
    # when two events name the case before its row is written, inside one block
    with CaptureQueriesContext(connection) as statements, written_together():
        record(EventKind.CASE_OPENED, case=case, via="test")
        record(EventKind.NOTE_ADDED, case=case, via="test")
        assert not ours.exists()  # held until the block ends
        rows.insert(case)
    # then both are written by one INSERT, in the order recorded, with the case's id
    inserts = [q for q in statements.captured_queries if 'INTO "events_event"' in q["sql"]]
    assert len(inserts) == 1
    written = list(ours.order_by("pk").values_list("kind", "case_id", "customer_id"))
    assert written == [(EventKind.CASE_OPENED, case.pk, sam.pk), (EventKind.NOTE_ADDED, case.pk, sam.pk)]
    # and the listeners heard of each once it had its id
    assert [event.pk for event in heard] == list(ours.order_by("pk").values_list("pk", flat=True))


def test_a_failing_block_writes_none_of_its_events(sam):
    with pytest.raises(RuntimeError), transaction.atomic(), written_together():
        record(EventKind.NOTE_ADDED, customer=sam, via="test")
        raise RuntimeError("the work failed")
    assert not ours.exists()


def test_an_event_naming_a_case_not_yet_written_is_refused_outside_a_block(sam):
    with pytest.raises(ValueError, match="not written yet"):
        record(EventKind.CASE_OPENED, case=_unwritten_case(sam), via="test")
    assert not ours.exists()


def test_a_block_inside_another_leaves_the_writing_to_the_outer_one(sam):
    with written_together():
        with written_together():
            record(EventKind.NOTE_ADDED, customer=sam, via="test")
        assert not ours.exists()
    assert ours.count() == 1
