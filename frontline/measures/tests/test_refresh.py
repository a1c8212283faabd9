"""The pre-aggregates kept incrementally are the ones a rebuild from scratch gives."""

import contextlib
import datetime
import threading

import pytest
from django.db import connection

from frontline.cases import confirmation
from frontline.cases import services as cases
from frontline.core import clock
from frontline.events.models import EventKind
from frontline.events.services import record
from frontline.incidents.events import INCIDENT_OPENED
from frontline.incidents.models import Affected, Incident
from frontline.measures import refresh
from frontline.measures.models import Contact, Problem, Watermark, WeekFigure

T = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
NO_WAIT = datetime.timedelta(0)


def _snapshot() -> tuple[list, list, list]:
    problems = list(
        Problem.objects.order_by("case_id").values_list(
            "case_id",
            "customer_id",
            "topic_id",
            "agent_id",
            "started_at",
            "finished_at",
            "outcome",
            "minutes",
            "contacts",
            "failure_contacts",
            "proactive",
            "reopened",
            "first_contact",
            "week",
        )
    )
    contacts = list(
        Contact.objects.order_by("message_id").values_list(
            "message_id", "problem_id", "at", "failure_type", "rules_said", "corrected", "week"
        )
    )
    weeks = list(
        WeekFigure.objects.order_by("by", "value", "week").values_list(
            "week",
            "by",
            "value",
            "finished",
            "unconfirmed",
            "minutes",
            "finished_contacts",
            "first_contact",
            "ended",
            "reopened",
            "proactive",
            "contacts",
            "failed",
            "by_type",
            "histogram",
        )
    )
    return problems, contacts, weeks


def _incident(customer, *, started):
    incident = Incident.objects.create(title="Web cluster", started_at=started, created_at=clock.now())
    Affected.objects.create(incident=incident, customer=customer, unit_ids=[], added_at=clock.now())
    record(INCIDENT_OPENED, actor_label="monitoring", incident_id=incident.pk, title=incident.title)


@pytest.mark.django_db
def test_refreshing_after_every_step_gives_what_a_rebuild_gives(sam, sam_person, blog, tom):
    steps = []

    def step(at, action):
        with clock.frozen_at(at):
            action()
            refresh.refresh(settle=NO_WAIT)
        steps.append(at)

    opened = {}

    def open_case(name, body, channel="email", **extra):
        opened[name] = cases.open_case(
            customer=sam,
            requester=sam_person,
            subject=name,
            body=body,
            channel=channel,
            impact="down",
            **extra,
        )

    # given a history: two cases about one problem, merged; chased; resolved, broken again, confirmed;
    # an action of ours on Sam's service and a contact asking why
    step(T, lambda: open_case("mail", "Blog down", units=[blog]))
    step(T + HOUR, lambda: open_case("chat", "still down?", channel="chat"))
    step(T + 2 * HOUR, lambda: cases.merge_cases(opened["chat"], into=opened["mail"], by=tom))
    step(
        T + 30 * HOUR, lambda: cases.record_inbound_message(opened["mail"], channel="email", body="Any news?")
    )
    step(
        T + 31 * HOUR,
        lambda: cases.change_status(opened["mail"], status="resolved", by=tom, resolution_notes="x"),
    )
    step(
        T + 32 * HOUR,
        lambda: cases.record_inbound_message(opened["mail"], channel="email", body="Down again"),
    )
    step(
        T + 33 * HOUR,
        lambda: cases.change_status(opened["mail"], status="resolved", by=tom, resolution_notes="y"),
    )
    step(T + 34 * HOUR, lambda: confirmation.confirm_fix(opened["mail"], answer="yes"))
    step(T + 40 * HOUR, lambda: open_case("invoice", "Question about my invoice"))
    step(
        T + 41 * HOUR,
        lambda: record(EventKind.DECISION_APPLIED, actor_label="rule:1", customer=sam, decision_id=1),
    )
    step(T + 42 * HOUR, lambda: open_case("why", "Why is my site suspended?"))
    # and an incident declared after Sam's invoice question, saying it had started before it: his question
    # was a contact during an incident before our notice, which only the incident's event reveals
    step(T + 43 * HOUR, lambda: _incident(sam, started=T + 39 * HOUR))
    incremental = _snapshot()
    # then the rows kept step by step are those derived from scratch
    refresh.rebuild()
    assert _snapshot() == incremental
    problems, contacts, weeks = incremental
    everyone = [cell for cell in weeks if cell[1] == ""]
    assert sum(cell[11] for cell in everyone) == 6 and sum(cell[3] for cell in everyone) == 1
    assert len(problems) == 3 and len(contacts) == 6
    kinds = [c[3] for c in contacts]
    assert kinds == ["", "", "chasing", "still_broken", "during_incident", "cut_off"]
    assert Watermark.objects.get().last_event_id > 0


@pytest.mark.django_db
def test_events_younger_than_the_settling_time_wait_for_the_next_pass(sam, sam_person):
    with clock.frozen_at(T):
        cases.open_case(customer=sam, requester=sam_person, subject="x", body="y", channel="email")
        assert refresh.refresh() == 0  # recorded this instant: left for the next pass
    with clock.frozen_at(T + HOUR):
        assert refresh.refresh() > 0
    assert Problem.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_take_the_events_in_once(sam, sam_person, monkeypatch):
    # given a case opened since the last pass, and a pass that holds still once it starts writing
    refresh.refresh(settle=NO_WAIT)
    cases.open_case(customer=sam, requester=sam_person, subject="x", body="y", channel="email")
    both_writing = threading.Barrier(2, timeout=1.5)
    load = refresh.Rules.load

    def load_when_both_write():
        with contextlib.suppress(threading.BrokenBarrierError):  # one held back by the lock never arrives
            both_writing.wait()  # two writers at once meet here
        return load()

    monkeypatch.setattr(refresh.Rules, "load", staticmethod(load_when_both_write))
    taken, failed = [], []

    def one_pass():
        try:
            taken.append(refresh.refresh(settle=NO_WAIT))
        except Exception as exc:  # the failure is what the test reports
            failed.append(exc)
        finally:
            connection.close()

    # when two workers run a pass at the same moment
    passes = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in passes:
        thread.start()
    for thread in passes:
        thread.join(timeout=60)
    # then neither fails, one takes the events in and the other finds them taken
    assert failed == [] and sorted(taken)[0] == 0 and sorted(taken)[1] > 0
    assert Problem.objects.count() == 1 and Contact.objects.count() == 1
