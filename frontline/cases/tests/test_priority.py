"""The score: rises with the customer's clock, explains itself, takes overrides that expire."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontline.cases import priority, services
from frontline.cases.models import Case
from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.customers import services as customers
from frontline.events.models import Event, EventKind

NOON = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def facts(**changes) -> priority.Facts:
    base = dict(impact="degraded", problem_started_at=NOON, awaiting_answer_since=NOON)
    base.update(changes)
    return priority.Facts(**base)


@given(
    impact=st.sampled_from(["down", "degraded", "question"]),
    tier=st.sampled_from(["standard", "priority", "critical"]),
    hours=st.lists(st.floats(min_value=0, max_value=24 * 60), min_size=2, max_size=6),
    answered=st.booleans(),
    chasers=st.integers(0, 5),
)
def test_the_score_never_falls_as_time_passes_and_nothing_else_changes(
    impact, tier, hours, answered, chasers
):
    # given any case; when only time passes
    case = facts(
        impact=impact, tier=tier, chaser_count=chasers, awaiting_answer_since=None if answered else NOON
    )
    scores = [priority.compute(case, NOON + datetime.timedelta(hours=h))[0] for h in sorted(hours)]
    # then the score only rises (or holds at a cap)
    assert scores == sorted(scores)


@given(
    tier=st.sampled_from(["standard", "priority", "critical"]),
    value=st.floats(min_value=0, max_value=100_000),
    years=st.integers(0, 40),
    failures=st.integers(0, 10),
    question_age_days=st.floats(min_value=0, max_value=365),
    reach=st.integers(0, 1_000_000),
    chasers=st.integers(0, 20),
    failed_us=st.booleans(),
    repeat=st.booleans(),
    missed_callback=st.booleans(),
)
def test_without_an_override_a_question_never_outranks_a_service_that_is_down(
    tier, value, years, failures, question_age_days, reach, chasers, failed_us, repeat, missed_callback
):
    # given a question at its worst: the most valued customer, reaching many, chased, failed, repeated, left
    # unanswered, a callback missed; and a service of a new small customer that went down this minute
    age = datetime.timedelta(days=question_age_days)
    question = facts(
        impact="question",
        tier=tier,
        monthly_value=value,
        customer_since=(NOON - datetime.timedelta(days=365 * years)).date(),
        recent_failures=failures,
        problem_started_at=NOON - age,
        awaiting_answer_since=NOON - age,
        reach=reach,
        chaser_count=chasers,
        demand_type="failure" if failed_us or chasers or repeat else "value",
        failure_reason="our failure" if failed_us else "",
        repeat_of="C-1" if repeat else "",
        callback_due_at=NOON - HOUR if missed_callback else None,
    )
    outage = facts(impact="down", awaiting_answer_since=NOON)
    # then the outage ranks first, and the question says why it stops where it does
    score, terms = priority.compute(question, NOON)
    assert priority.compute(outage, NOON)[0] > score
    assert score <= 99 and ("ceiling" in {t["term"] for t in terms}) == (
        sum(t["points"] for t in terms if t["term"] != "ceiling") > 99
    )


def test_every_point_of_the_score_is_explained_largest_first():
    score, terms = priority.compute(
        facts(impact="down", reach=2400, chaser_count=1, demand_type="failure", failure_reason="chased"),
        NOON + 50 * HOUR,
    )
    assert score == pytest.approx(sum(t["points"] for t in terms), abs=0.5)
    assert [abs(t["points"]) for t in terms] == sorted((abs(t["points"]) for t in terms), reverse=True)
    reasons = {t["term"]: t["reason"] for t in terms}
    assert reasons["reach"] == "2,400 end users or sites behind the affected units"
    assert reasons["silence"] == "waiting 2.1 days for an answer from us"
    assert reasons["chasers"] == "chased us 1 time after we went quiet"


def test_a_customer_of_one_year_reads_in_the_singular():
    _, terms = priority.compute(facts(customer_since=datetime.date(2025, 9, 1)), NOON)
    assert {t["term"]: t["reason"] for t in terms}["tenure"] == "customer for 1 year"


def test_the_weights_live_in_one_setting(settings):
    # given a provider who cares less about outages' duration
    settings.FRONTLINE_PRIORITY_WEIGHTS = {
        "curves": {"down": [100, 1, 50], "degraded": [40, 1, 120], "question": [10, 0.25, 40]}
    }
    priority.weights.cache_clear()
    try:
        terms = dict(
            (t["term"], t["points"]) for t in priority.compute(facts(impact="down"), NOON + 10 * HOUR)[1]
        )
    finally:
        priority.weights.cache_clear()
    # then ten hours add ten points, not forty
    assert terms["elapsed"] == 10


@pytest.mark.django_db
def test_an_override_counts_with_its_reason_and_stops_when_it_expires(sam, sam_person, tom):
    with clock.frozen_at(NOON):
        case = services.open_case(
            customer=sam, requester=sam_person, subject="Q", body="A question", channel="email"
        )
        before = case.priority
        # when a team member adds 80 points for six hours, saying why
        services.override_priority(case, by=tom, points=80, hours=6, reason="their CEO is on the phone")
    case.refresh_from_db()
    # then the score holds the term, with who, until when and why, and an event says so
    override = next(t for t in case.priority_explanation if t["term"] == "override")
    assert override["points"] == 80 and "Tom Becker" in override["reason"] and "CEO" in override["reason"]
    assert case.priority == pytest.approx(before + 80, abs=0.5)
    assert Event.objects.filter(case=case, kind=EventKind.PRIORITY_OVERRIDDEN, data__points=80).exists()
    # when seven hours pass, the periodic job drops it
    with clock.frozen_at(NOON + 7 * HOUR):
        services.refresh_open_priorities()
    case.refresh_from_db()
    assert "override" not in {t["term"] for t in case.priority_explanation}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("points", "hours", "reason", "field"),
    [
        (50, 2, "  ", "reason"),
        (5000, 2, "why", "points"),
        (50, 0, "why", "hours"),
        (50, 24 * 30, "why", "hours"),
    ],
)
def test_an_override_without_a_reason_or_out_of_bounds_is_refused(sam, tom, points, hours, reason, field):
    case = services.open_case(customer=sam, subject="Q", body="A question", channel="email")
    with pytest.raises(ServiceError) as refused:
        services.override_priority(case, by=tom, points=points, hours=hours, reason=reason)
    assert refused.value.field == field


@pytest.mark.django_db
def test_the_periodic_job_scores_exactly_as_a_single_case_is_scored(sam, sam_person, tom):
    # given cases with every kind of term: reach, chasers, failures suffered lately, an override
    site = customers.add_unit(sam, kind="site", name="shop.example", end_users=500)
    with clock.frozen_at(NOON):
        a = services.open_case(
            customer=sam, subject="Down", body="down", channel="email", impact="down", units=[site]
        )
        services.open_case(customer=sam, subject="Q", body="question", channel="web")
        services.override_priority(a, by=tom, points=-20, hours=48, reason="they are away until Monday")
    with clock.frozen_at(NOON + 5 * HOUR):
        services.record_inbound_message(a, channel="email", body="Any news?", requester=sam_person)
    # when the periodic job scores them all later
    later = NOON + 30 * HOUR
    with clock.frozen_at(later):
        services.refresh_open_priorities(batch_size=1, step=0)
        expected = {c.pk: priority.compute_for(c) for c in Case.objects.select_related("customer")}
    # then each score and explanation is what the single-case path computes
    for case in Case.objects.all():
        assert (case.priority, case.priority_explanation) == expected[case.pk]
    terms = {t["term"] for t in Case.objects.get(pk=a.pk).priority_explanation}
    assert {"reach", "chasers", "silence", "override", "tenure"} <= terms and "failure_demand" not in terms


@pytest.mark.django_db
def test_the_periodic_job_rewrites_only_scores_that_moved(sam):
    with clock.frozen_at(NOON):
        outage = services.open_case(customer=sam, subject="Down", body="down", channel="email", impact="down")
        question = services.open_case(customer=sam, subject="Q", body="question", channel="email")
    # ten minutes on, the outage has gained 0.7 points for its age and 0.3 for our silence; the question 0.4
    with clock.frozen_at(NOON + datetime.timedelta(minutes=10)):
        assert services.refresh_open_priorities() == 1
    assert Case.objects.get(pk=outage.pk).priority > outage.priority
    assert Case.objects.get(pk=question.pk).priority == question.priority


@pytest.mark.django_db
def test_a_chaser_counts_once_and_is_no_answer_from_us(sam, sam_person):
    # given a question Sam asked two days ago that we have not answered
    with clock.frozen_at(NOON - 48 * HOUR):
        case = services.open_case(
            customer=sam, requester=sam_person, subject="Q", body="A question", channel="email"
        )
    # when he chases us now
    with clock.frozen_at(NOON):
        services.record_inbound_message(case, channel="email", body="Any news?", requester=sam_person)
        case.refresh_from_db()
        _, terms = priority.compute_for(case)
    reasons = {t["term"]: t["reason"] for t in terms}
    # then his wait still runs from his question, and the chaser is counted once, by its own term
    assert reasons["silence"] == "waiting 2.0 days for an answer from us"
    assert reasons["chasers"] == "chased us 1 time after we went quiet" and "failure_demand" not in reasons
    assert case.awaiting_answer_since == NOON - 48 * HOUR
