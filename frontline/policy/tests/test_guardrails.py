"""The guardrails the engine keeps whatever a rule says: smallest unit, notice first, grace kept, held when
nobody can be told, emergency only for attacks on others, widening only by a person's second decision."""

import pytest

from frontline.cases.models import Case
from frontline.core import clock
from frontline.core.errors import NotAllowed, ServiceError
from frontline.customers import services as customers
from frontline.customers.models import UnitState
from frontline.events.models import Event, EventKind
from frontline.notifications import services as notifications
from frontline.notifications.models import Notification, NotificationStatus
from frontline.policy import services
from frontline.policy.models import Decision, DecisionStatus, PolicyEvent, PolicyEventStatus
from frontline.policy.tests.helpers import HOUR, T0, apply_due, scan
from frontline.todos.models import ToDo, ToDoKind

pytestmark = pytest.mark.django_db

INFECTED = ["client07.rivera-sites.example", "client19.rivera-sites.example", "client33.rivera-sites.example"]


def _states(customer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for unit in customer.units.filter(kind="site"):
        counts[unit.state] = counts.get(unit.state, 0) + 1
    return counts


def test_s5_three_infected_sites_of_forty_are_contained_after_notice_and_a_rescan_lifts_each(
    rivera, scan_rule
):
    # when the scanner reports three of the forty sites infected
    scan(*[(name, True) for name in INFECTED])
    decisions = list(Decision.objects.filter(customer=rivera).order_by("unit__name"))
    # then one decision per infected site, on the site, scheduled after a day's grace
    assert [d.unit.name for d in decisions] == INFECTED
    assert {d.status for d in decisions} == {DecisionStatus.SCHEDULED}
    assert {d.due_at for d in decisions} == {T0 + 24 * HOUR}
    assert "not on hosting account reseller-rivera, which keeps serving" in decisions[0].why
    # and Rivera is told first, once, on the ladder, and one cleanup case holds all three
    [notice] = Notification.objects.filter(customer=rivera)
    assert notice.status == NotificationStatus.ACTIVE and notice.created_at == T0
    assert all(name in notice.body for name in INFECTED) and "keeps serving" in notice.body
    assert "re-scan" in notice.body
    [case] = Case.objects.filter(customer=rivera)
    assert {d.case_id for d in decisions} == {case.pk} and case.affected_units.count() == 3
    # and nothing is contained before the grace ends, even when Carmen acknowledges at once
    with clock.frozen_at(T0 + HOUR):
        notifications.acknowledge(notice, via="link", who="Carmen Rivera")
    assert apply_due(T0 + 23 * HOUR) == 0
    assert _states(rivera) == {UnitState.OK: 40}
    with pytest.raises(ServiceError, match="grace period runs until"), clock.frozen_at(T0 + 2 * HOUR):
        services.apply_decision(decisions[0])
    # when the grace ends: three contained, thirty-seven untouched
    assert apply_due(T0 + 24 * HOUR) == 3
    assert _states(rivera) == {UnitState.CONTAINED: 3, UnitState.OK: 37}
    assert rivera.units.get(kind="account").state == UnitState.OK
    # when client19 is cleaned and a re-scan finds it clean
    scan(("client19.rivera-sites.example", False), at=T0 + 30 * HOUR, batch="scan-2")
    # then that site alone is back, and the lift is on the case's history
    assert _states(rivera) == {UnitState.CONTAINED: 2, UnitState.OK: 38}
    lifted = Decision.objects.get(unit__name="client19.rivera-sites.example")
    assert lifted.status == DecisionStatus.LIFTED and "re-scan" in lifted.end_reason
    kinds = list(Event.objects.filter(case=case, kind__startswith="policy.").values_list("kind", flat=True))
    assert kinds.count(EventKind.DECISION_MADE) == 3 and kinds.count(EventKind.DECISION_APPLIED) == 3
    assert kinds.count(EventKind.DECISION_LIFTED) == 1
    # and the re-scan opened no second case
    assert Case.objects.filter(customer=rivera).count() == 1


def test_a_clean_rescan_before_the_grace_ends_withdraws_the_action_and_stops_the_notice(rivera, scan_rule):
    scan((INFECTED[0], True))
    scan((INFECTED[0], False), at=T0 + 3 * HOUR, batch="scan-2")
    decision = Decision.objects.get()
    assert decision.status == DecisionStatus.WITHDRAWN
    assert decision.notification.status == NotificationStatus.CANCELLED
    assert apply_due(T0 + 48 * HOUR) == 0 and _states(rivera) == {UnitState.OK: 40}


def test_s2_an_infected_host_is_contained_not_the_line_after_notice(castle, abuse_rule):
    # when a report names one host behind Castle's line
    with clock.frozen_at(T0):
        [event] = services.receive_events(
            [
                {
                    "trigger": "abuse_report",
                    "facts": {"category": "spam", "reporter": "abuse@cert.example"},
                    "unit": {"ip": "192.0.2.18"},
                }
            ],
            source="api",
        )
    # then the decision is on that host, scheduled with the urgent ladder's notice
    decision = Decision.objects.get()
    assert decision.unit.name == "192.0.2.18" and event.unit_id == decision.unit_id
    assert decision.status == DecisionStatus.SCHEDULED and decision.due_at == T0 + 6 * HOUR
    assert "not on port port-12" in decision.why
    assert decision.notification.urgency == "critical"
    # and acknowledging early does not hasten it
    with clock.frozen_at(T0 + HOUR / 6):
        notifications.acknowledge(decision.notification, via="sms", who="Helen Castle")
    assert apply_due(T0 + 5 * HOUR) == 0
    assert apply_due(T0 + 6 * HOUR) == 1
    states = dict(castle.units.values_list("name", "state"))
    assert states.pop("192.0.2.18") == UnitState.CONTAINED
    assert set(states.values()) == {UnitState.OK}  # the line, the port and five hosts


def test_the_emergency_class_acts_at_once_notifies_at_the_same_moment_and_says_why(castle, worm_rule):
    with clock.frozen_at(T0):
        services.receive_events(
            [
                {
                    "trigger": "abuse_report",
                    "facts": {"category": "worm", "active_attack": True, "trusted_reporter": True},
                    "unit": {"ip": "192.0.2.18"},
                }
            ],
            source="api",
        )
    decision = Decision.objects.get()
    assert decision.emergency and decision.status == DecisionStatus.APPLIED and decision.applied_at == T0
    assert "attacking others now" in decision.why and "category worm" in decision.why
    assert castle.units.get(name="192.0.2.18").state == UnitState.CONTAINED
    assert decision.notification.created_at == T0 and "attacking others" in decision.notification.title


def test_an_emergency_rule_without_an_attack_going_on_gives_notice_like_any_other(castle, worm_rule):
    with clock.frozen_at(T0):
        services.receive_events(
            [
                {
                    "trigger": "abuse_report",
                    "facts": {"category": "worm", "active_attack": False},
                    "unit": {"ip": "192.0.2.18"},
                }
            ],
            source="api",
        )
    decision = Decision.objects.get()
    assert not decision.emergency and decision.status == DecisionStatus.SCHEDULED
    assert decision.due_at == T0 + 6 * HOUR and "Not an emergency after all" in decision.why


def test_with_no_working_channel_the_action_is_held_for_a_person(castle, abuse_rule, priya):
    # given every contact point of Castle's failing
    for point in castle.contacts.all().union(castle.people.get().contacts.all()):
        customers.mark_contact_failing(point, reason="550 no such user")
    with clock.frozen_at(T0):
        services.receive_events(
            [{"trigger": "abuse_report", "facts": {"category": "spam"}, "unit": {"ip": "192.0.2.18"}}],
            source="api",
        )
    decision = Decision.objects.get()
    # then nothing is scheduled or applied, and a person is asked to decide
    assert (
        decision.status == DecisionStatus.HELD and decision.due_at is None and decision.notification is None
    )
    todo = ToDo.objects.get(kind=ToDoKind.DECIDE_ACTION)
    assert todo.evidence == {"decision_id": decision.pk} and "Held" in todo.title
    assert apply_due(T0 + 100 * HOUR) == 0
    # and approving it is refused while nobody can be told
    with pytest.raises(ServiceError, match="still no working channel"):
        services.decide(decision, by=priya, approve=True, reason="it is still spamming")


def test_widening_to_the_line_is_a_second_decision_by_a_person_with_a_reason(castle, abuse_rule, priya, tom):
    with clock.frozen_at(T0):
        services.receive_events(
            [{"trigger": "abuse_report", "facts": {"category": "spam"}, "unit": {"ip": "192.0.2.18"}}],
            source="api",
        )
    host_decision = Decision.objects.get()
    line = castle.units.get(kind="line")
    # an agent without the authority, or anyone without a reason, cannot widen
    with pytest.raises(NotAllowed):
        services.widen_decision(host_decision, by=tom, reason="simpler", to=line)
    with pytest.raises(ServiceError, match="needs a reason"):
        services.widen_decision(host_decision, by=priya, reason=" ", to=line)
    # a team lead can, with a reason: a new decision, with its own notice and grace
    with clock.frozen_at(T0 + HOUR):
        wide = services.widen_decision(
            host_decision, by=priya, reason="four hosts now report the worm", to=line
        )
    assert wide.replaces_id == host_decision.pk and wide.unit == line and wide.decided_by == priya
    assert wide.status == DecisionStatus.SCHEDULED and wide.due_at == T0 + 7 * HOUR
    assert wide.notification_id not in (None, host_decision.notification_id)
    event = Event.objects.get(kind=EventKind.DECISION_WIDENED)
    assert event.data["reason"] == "four hosts now report the worm" and event.actor == priya


def test_an_event_for_an_unknown_unit_is_kept_and_raised(castle, abuse_rule):
    with clock.frozen_at(T0):
        [event] = services.receive_events(
            [{"trigger": "abuse_report", "facts": {"category": "spam"}, "unit": {"ip": "198.51.100.9"}}],
            source="api",
        )
    assert event.status == PolicyEventStatus.UNMATCHED and "198.51.100.9" in event.problem
    assert event.payload["unit"] == {"ip": "198.51.100.9"}
    assert ToDo.objects.get(kind=ToDoKind.REVIEW_EVENT).evidence == {"policy_event_id": event.pk}
    assert Event.objects.filter(kind=EventKind.POLICY_EVENT_UNMATCHED).count() == 1
    assert not Decision.objects.exists()


def test_the_same_event_sent_twice_is_judged_once(rivera, scan_rule):
    item = {
        "trigger": "malware_scan",
        "facts": {"infected": True, "confidence": 0.9},
        "unit": {"name": INFECTED[0]},
        "idempotency_key": "maldet-run-81:client07",
    }
    with clock.frozen_at(T0):
        first = services.receive_events([item], source="scanner")
        again = services.receive_events([item], source="scanner")
    assert first[0].pk == again[0].pk and PolicyEvent.objects.count() == 1 and Decision.objects.count() == 1


def test_an_action_whose_notice_reached_nobody_is_held_when_its_time_comes(rivera, scan_rule):
    # given the notice went out but no channel accepted it (here: its rungs never ran)
    scan((INFECTED[0], True))
    decision = Decision.objects.get()
    # when the grace ends
    with clock.frozen_at(decision.due_at):
        assert services.apply_due_decisions() == 1
    # then nothing is contained: a person decides, and the history says why
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.HELD and "no channel accepted the notice" in decision.why
    assert _states(rivera) == {UnitState.OK: 40}
    assert ToDo.objects.get(kind=ToDoKind.DECIDE_ACTION).evidence == {"decision_id": decision.pk}
    assert Event.objects.filter(kind=EventKind.DECISION_HELD, case=decision.case).count() == 1


def test_a_disruptive_action_chosen_by_a_person_still_gets_notice_and_grace(castle, nadia, priya):
    # given a rule that only asks a person, and a report
    with clock.frozen_at(T0 - HOUR):
        services.save_rule(
            by=nadia,
            name="Ask about spam",
            trigger="abuse_report",
            condition='event.category == "spam"',
            action="ask_approval",
            severity="standard",
        )
    with clock.frozen_at(T0):
        services.receive_events(
            [{"trigger": "abuse_report", "facts": {"category": "spam"}, "unit": {"ip": "192.0.2.18"}}],
            source="api",
        )
    asked = Decision.objects.get()
    assert asked.status == DecisionStatus.PENDING_APPROVAL and asked.notification is None
    assert ToDo.objects.get(kind=ToDoKind.DECIDE_ACTION).evidence == {"decision_id": asked.pk}
    # when a team lead decides to contain the host instead
    with clock.frozen_at(T0 + HOUR):
        services.override_decision(
            asked, by=priya, kind="do_differently", action="contain", reason="412 complaints in an hour"
        )
    # then the containment is told to Castle now and runs after the standard grace, not at once
    contained = Decision.objects.get(replaces=asked)
    assert contained.status == DecisionStatus.SCHEDULED and contained.due_at == T0 + 25 * HOUR
    assert contained.notification is not None and contained.notification.created_at == T0 + HOUR
