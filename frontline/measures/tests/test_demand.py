"""Demand and problems from constructed histories: each failure type by its rule, end-to-end time on the
customer's clock across a merge and a confirmation, a proactive problem, and a person's correction."""

import datetime

import pytest

from frontline.cases import confirmation
from frontline.cases import services as cases
from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.events.models import Event, EventKind
from frontline.events.services import record
from frontline.incidents.models import Affected, Incident
from frontline.measures import learned, refresh, services
from frontline.measures.figures import rules_agreement
from frontline.measures.models import Contact, FailureType, Outcome, Problem
from frontline.notifications.models import Notification
from frontline.routing.services import triage_new_case

T = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)  # a Monday
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def _open(sam, sam_person, at, *, body="The blog is down", units=(), channel="email", started=None, **extra):
    with clock.frozen_at(at):
        return cases.open_case(
            customer=sam,
            requester=sam_person,
            subject="Blog down",
            body=body,
            channel=channel,
            impact="down",
            units=list(units),
            problem_started_at=started,
            **extra,
        )


def _write(case, sam_person, at, body, channel="email"):
    with clock.frozen_at(at):
        return cases.record_inbound_message(case, channel=channel, body=body, requester=sam_person)


def _resolve(case, tom, at, notes="Restarted PHP"):
    with clock.frozen_at(at):
        cases.change_status(case, status="resolved", by=tom, resolution_notes=notes)


def _classes(case) -> list[str]:
    refresh.rederive_cases([case.pk])
    return list(
        Contact.objects.filter(problem_id=case.pk).order_by("at").values_list("failure_type", flat=True)
    )


@pytest.mark.django_db
def test_a_contact_after_our_answer_was_due_is_chasing(sam, sam_person):
    # given Sam's case, unanswered for three days
    case = _open(sam, sam_person, T)
    # when he writes again
    _write(case, sam_person, T + 3 * DAY, "Any news?")
    # then the first contact is value demand and the second is chasing
    assert _classes(case) == ["", FailureType.CHASING]


@pytest.mark.django_db
def test_a_contact_after_we_said_fixed_is_still_broken_but_a_thank_you_is_not(sam, sam_person, tom):
    case = _open(sam, sam_person, T)
    _resolve(case, tom, T + HOUR)
    _write(case, sam_person, T + 2 * HOUR, "Thanks, works now!")
    _resolve(case, tom, T + 3 * HOUR)
    _write(case, sam_person, T + 4 * HOUR, "It is down again since lunch")
    assert _classes(case) == ["", "", FailureType.STILL_BROKEN]


@pytest.mark.django_db
def test_a_new_case_on_a_unit_we_fixed_within_30_days_is_a_repeat(sam, sam_person, blog, tom):
    first = _open(sam, sam_person, T, units=[blog])
    _resolve(first, tom, T + HOUR)
    with clock.frozen_at(T + 2 * HOUR):
        cases.change_status(first, status="closed", by=tom)
    again = _open(sam, sam_person, T + 10 * DAY, units=[blog], body="Blog down again")
    with clock.frozen_at(T + 10 * DAY):
        triage_new_case(again)
    assert _classes(again) == [FailureType.REPEAT]


@pytest.mark.django_db
def test_a_contact_during_an_incident_before_our_notice_is_failure_demand_and_after_it_is_not(
    sam, sam_person, priya
):
    # given an incident reaching Sam from 09:00, and our notice to him at 10:00
    incident = Incident.objects.create(title="Web cluster down", started_at=T, created_at=T)
    Affected.objects.create(incident=incident, customer=sam, unit_ids=[], added_at=T)
    Notification.objects.create(
        customer=sam,
        subject_kind="incident",
        subject_id=str(incident.pk),
        urgency="urgent",
        title="We know",
        body="We know",
        ladder_name="x",
        steps=[],
        created_at=T + HOUR,
    )
    # when Sam writes at 09:30, and again about something else at 10:30
    before = _open(sam, sam_person, T + HOUR / 2)
    after = _open(sam, sam_person, T + HOUR + HOUR / 2, body="Is the incident over?")
    assert _classes(before) == [FailureType.DURING_INCIDENT]
    assert _classes(after) == [""]


@pytest.mark.django_db
def test_a_contact_within_a_week_of_an_action_of_ours_on_their_service_asks_why_they_were_cut_off(
    sam, sam_person
):
    with clock.frozen_at(T):
        record(
            EventKind.DECISION_APPLIED, actor_label="rule:1", customer=sam, decision_id=1, action="suspend"
        )
    case = _open(sam, sam_person, T + 2 * DAY, body="My site shows a suspended page")
    late = _open(sam, sam_person, T + 9 * DAY, body="Question about my invoice")
    assert _classes(case) == [FailureType.CUT_OFF]
    assert _classes(late) == [""]


@pytest.mark.django_db
def test_end_to_end_runs_from_the_customers_clock_across_a_merge_to_the_confirmation(sam, sam_person, tom):
    # given Sam's blog broke at 08:00; he mails at 09:00 and opens a chat at 11:00 (a second case)
    mail = _open(sam, sam_person, T, started=T - HOUR)
    chat = _open(sam, sam_person, T + 2 * HOUR, channel="chat", body="Hello? blog still down")
    # when Tom merges the chat into the mail, resolves at 13:00 and Sam confirms at 15:00
    with clock.frozen_at(T + 3 * HOUR):
        cases.merge_cases(chat, into=mail, by=tom)
    _resolve(mail, tom, T + 4 * HOUR)
    with clock.frozen_at(T + 6 * HOUR):
        confirmation.confirm_fix(mail, answer="yes")
    refresh.rebuild()
    # then one problem: 7 hours end to end, two contacts, none proactive, confirmed
    problem = Problem.objects.get()
    assert problem.case_id == mail.pk
    assert (problem.minutes, problem.contacts, problem.outcome) == (7 * 60, 2, Outcome.CONFIRMED)
    assert not problem.proactive and not problem.first_contact
    assert problem.week == datetime.date(2026, 11, 2)


@pytest.mark.django_db
def test_a_problem_closed_unconfirmed_is_counted_apart_and_a_proactive_one_is_ours_first(
    sam, sam_person, tom
):
    ours = _open(
        sam, sam_person, T, channel="monitoring", body="We saw your blog go down", sender="monitoring"
    )
    _write(ours, sam_person, T + HOUR, "Thanks for telling me")
    _resolve(ours, tom, T + 2 * HOUR)
    with clock.frozen_at(T + 9 * DAY):
        confirmation.close_unconfirmed()
    refresh.rebuild()
    problem = Problem.objects.get()
    assert problem.proactive and problem.contacts == 1
    assert problem.outcome == Outcome.UNCONFIRMED and problem.minutes == 120


@pytest.mark.django_db
def test_a_correction_outranks_the_rules_is_an_event_and_is_measured_against_them(sam, sam_person, tom):
    case = _open(sam, sam_person, T)
    message = _write(case, sam_person, T + 3 * DAY, "Any news?")
    # when Tom says this contact was value demand (the customer added a new site to the question)
    with clock.frozen_at(T + 3 * DAY):
        contact = services.correct_contact(message, failure_type="value", by=tom, reason="a new request")
    # then it counts as value demand, the rules' word is kept, and the case's timeline says so
    assert (contact.failure_type, contact.rules_said, contact.corrected) == ("", FailureType.CHASING, True)
    event = Event.objects.get(kind="measures.contact_corrected")
    assert (event.case_id, event.data["message_id"], event.data["rules_said"]) == (
        case.pk,
        message.pk,
        "chasing",
    )
    # and a rebuild from scratch keeps it
    refresh.rebuild()
    assert Contact.objects.get(message_id=message.pk).failure_type == ""
    assert rules_agreement() == {"corrected": 1, "rules_agreed": 0, "agreement": 0.0}
    with pytest.raises(ServiceError, match="failure_type"):
        services.correct_contact(message, failure_type="bogus", by=tom)


@pytest.mark.django_db
def test_a_demand_rule_is_checked_when_it_is_saved(priya, tom):
    with pytest.raises(ServiceError, match="contact has no field 'mood'"):
        services.save_rule(
            by=priya, name="Moody", condition="contact.mood == 'bad'", failure_type="our_error"
        )
    rule = services.save_rule(
        by=priya, name="Refunds", condition='contact.words.contains("refund")', failure_type="our_error"
    )
    assert Event.objects.filter(kind="measures.rule_changed", data__rule_id=rule.pk).exists()
    with pytest.raises(Exception, match="does not allow"):
        services.save_rule(by=tom, name="x", condition="true", failure_type="our_error")


@pytest.mark.django_db
def test_where_no_rule_fires_the_words_model_trained_on_corrections_names_the_failure(
    sam, sam_person, tom, priya
):
    # given 60 contacts people corrected: wrong invoices are our error, new requests are value demand
    wrong = [
        "the invoice is wrong again",
        "this invoice amount is wrong",
        "invoice total wrong, please check",
    ]
    asks = ["please add a new mailbox", "can you add a mailbox for bob", "we need a new mailbox added"]
    for n in range(60):
        words, kind = (wrong[n % 3], "our_error") if n % 2 else (asks[n % 3], "value")
        case = _open(sam, sam_person, T + n * HOUR, body=f"{words} ({n})")
        with clock.frozen_at(T + n * HOUR):
            services.correct_contact(case.opening_message, failure_type=kind, by=tom)
    # when the model is trained and two new contacts arrive that no rule names
    with clock.frozen_at(T + 2 * DAY):
        model = learned.train(by=priya)
    wrong_again = _open(sam, sam_person, T + 3 * DAY, body="Our invoice is wrong, the amount again")
    new_ask = _open(sam, sam_person, T + 3 * DAY, body="Please add a new mailbox for Ann")
    # then the words name our error in the first, and the second stays value demand
    assert model.corrections == 60 and model.accuracy > 0.9
    assert _classes(wrong_again) == [FailureType.OUR_ERROR] and _classes(new_ask) == [""]
    assert Contact.objects.get(problem_id=wrong_again.pk).by_words
    assert Event.objects.filter(kind="measures.words_model_trained").count() == 1
