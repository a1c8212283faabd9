"""People with authority break a rule on the record: do less, otherwise, later, or goodwill within an
allowance. Each override needs a reason, is an event, and can be reversed."""

import datetime
from decimal import Decimal

import pytest

from frontline.core import clock
from frontline.core.errors import NotAllowed, ServiceError
from frontline.customers.models import UnitState
from frontline.events.models import Event, EventKind
from frontline.policy import services
from frontline.policy.models import Decision, DecisionStatus, Override
from frontline.policy.tests.helpers import HOUR, T0, apply_due, scan

pytestmark = pytest.mark.django_db

SITE = "client07.rivera-sites.example"


@pytest.fixture
def scheduled(rivera, scan_rule):
    scan((SITE, True))
    return Decision.objects.get()


def test_an_agent_without_the_authority_cannot_override(scheduled, tom):
    with pytest.raises(NotAllowed):
        services.override_decision(
            scheduled, by=tom, kind="do_less", action="rate_limit", reason="a big client"
        )
    assert not Override.objects.exists()


def test_an_override_needs_a_reason(scheduled, priya):
    with pytest.raises(ServiceError, match="needs a reason"):
        services.override_decision(scheduled, by=priya, kind="do_less", action="rate_limit", reason="")


def test_do_less_must_be_less(scheduled, priya):
    with pytest.raises(ServiceError, match="is not less than"):
        services.override_decision(scheduled, by=priya, kind="do_less", action="suspend", reason="why not")


def test_doing_less_on_an_action_in_force_lifts_it_and_reversing_puts_it_back(scheduled, priya):
    apply_due(T0 + 24 * HOUR)
    site = scheduled.unit
    site.refresh_from_db()
    assert site.state == UnitState.CONTAINED
    # when a team lead does less: only ask for cleanup, the site keeps serving
    with clock.frozen_at(T0 + 25 * HOUR):
        override = services.override_decision(
            scheduled,
            by=priya,
            kind="do_less",
            action="require_cleanup",
            reason="the shop's Black Friday sale; Carmen's developer is cleaning it now",
        )
    site.refresh_from_db()
    scheduled.refresh_from_db()
    assert site.state == UnitState.OK and scheduled.status == DecisionStatus.OVERRIDDEN
    replacement = Decision.objects.get(replaces=scheduled)
    assert replacement.action == "require_cleanup" and replacement.decided_by == priya
    assert override.before["status"] == "applied" and override.after["decision_id"] == replacement.pk
    event = Event.objects.get(kind=EventKind.OVERRIDE_RECORDED)
    assert (
        event.actor == priya and event.case_id == scheduled.case_id and "Black Friday" in event.data["reason"]
    )
    # when it is reversed: the containment stands again
    with clock.frozen_at(T0 + 26 * HOUR):
        services.reverse_override(override, by=priya, reason="the developer did not show up")
    site.refresh_from_db()
    scheduled.refresh_from_db()
    assert site.state == UnitState.CONTAINED and scheduled.status == DecisionStatus.APPLIED
    assert Event.objects.filter(kind=EventKind.OVERRIDE_REVERSED).count() == 1
    with pytest.raises(ServiceError, match="already reversed"):
        services.reverse_override(override, by=priya, reason="again")


def test_a_delay_moves_the_action_and_reversing_it_restores_the_time(scheduled, priya):
    later = T0 + 48 * HOUR
    with clock.frozen_at(T0 + HOUR):
        override = services.override_decision(
            scheduled,
            by=priya,
            kind="delay",
            until=later,
            reason="the agency's admin is on a plane until Wednesday",
        )
    assert apply_due(T0 + 30 * HOUR) == 0
    scheduled.refresh_from_db()
    assert scheduled.due_at == later and scheduled.status == DecisionStatus.SCHEDULED
    with clock.frozen_at(T0 + 2 * HOUR):
        services.reverse_override(override, by=priya, reason="she landed early")
    scheduled.refresh_from_db()
    assert scheduled.due_at == T0 + 24 * HOUR
    with pytest.raises(ServiceError, match="later than the one planned"), clock.frozen_at(T0 + 3 * HOUR):
        services.override_decision(scheduled, by=priya, kind="delay", until=T0 + 5 * HOUR, reason="sooner")


def test_doing_differently_keeps_the_notice_and_the_time(scheduled, priya):
    with clock.frozen_at(T0 + HOUR):
        services.override_decision(
            scheduled, by=priya, kind="do_differently", action="rate_limit", reason="it only sends spam"
        )
    replacement = Decision.objects.get(replaces=scheduled)
    assert replacement.status == DecisionStatus.SCHEDULED and replacement.due_at == scheduled.due_at
    assert replacement.notification_id == scheduled.notification_id
    assert apply_due(T0 + 24 * HOUR) == 1
    replacement.refresh_from_db()
    assert replacement.status == DecisionStatus.APPLIED and replacement.unit.state == UnitState.OK


class TestGoodwill:
    def test_a_free_restore_counts_against_the_monthly_allowance(self, rivera, tom):
        _allow(tom, "100.00")
        with clock.frozen_at(T0):
            first = services.grant_goodwill(
                rivera, by=tom, goodwill="free_restore", reason="our scanner was late"
            )
            services.grant_goodwill(rivera, by=tom, goodwill="credit", value="50", reason="two days of calls")
        assert first.value == Decimal("40.00")
        assert services.goodwill_used(tom, T0) == Decimal("90.00")
        # a third grant over the allowance is refused, and says what is left
        with pytest.raises(NotAllowed, match=r"90\.00 of 100\.00 used this month"), clock.frozen_at(T0):
            services.grant_goodwill(rivera, by=tom, goodwill="credit", value="20", reason="sorry")
        # reversing one frees its share; a new month starts afresh
        with clock.frozen_at(T0):
            services.reverse_override(first, by=tom, reason="restore was not needed after all")
        assert services.goodwill_used(tom, T0) == Decimal("50.00")
        assert services.goodwill_used(tom, datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)) == 0
        granted = Event.objects.filter(kind=EventKind.OVERRIDE_RECORDED, data__kind="goodwill")
        assert granted.count() == 2 and {e.actor for e in granted} == {tom}

    def test_without_an_allowance_there_is_no_goodwill(self, rivera, tom):
        with pytest.raises(NotAllowed, match="over your goodwill allowance"):
            services.grant_goodwill(rivera, by=tom, goodwill="credit", value="5", reason="sorry")

    def test_goodwill_needs_a_reason_and_a_value(self, rivera, tom):
        _allow(tom, "100.00")
        with pytest.raises(ServiceError, match="needs a reason"):
            services.grant_goodwill(rivera, by=tom, goodwill="credit", value="5", reason=" ")
        with pytest.raises(ServiceError, match="more than zero"):
            services.grant_goodwill(rivera, by=tom, goodwill="credit", value="0", reason="x")


def _allow(agent, amount):
    agent.goodwill_allowance = Decimal(amount)
    agent.save(update_fields=["goodwill_allowance"])
    return agent
