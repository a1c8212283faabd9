"""Correlation: a burst of cases behind one upstream element becomes one incident, with the words that say
why; rules are CEL checked at save, can run in shadow, need a lead's approval or not, and never join a
resolved incident; an agent detaches a wrong link in one click."""

import datetime

import pytest
from django.core.cache import cache

from frontline.cases import services as cases
from frontline.core import clock
from frontline.core.errors import Conflict, ServiceError
from frontline.correlation import rules, services, stamps, upstream
from frontline.correlation.models import Proposal, ProposalState, Sighting
from frontline.customers import services as customers
from frontline.incidents import services as incidents
from frontline.incidents.models import Incident, IncidentCase
from frontline.monitoring import services as monitoring
from frontline.todos.models import ToDo

NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)
RELAYS = 'element.kind == "relay" && case.impact != "question"'


def _rule(priya, **values):
    values = {"name": "relay bursts", "condition": RELAYS, "window_minutes": 15, "min_count": 3} | values
    return rules.save_rule(by=priya, **values)


def _report(client, at, body="Every message we send is rejected: 550 relay denied."):
    with clock.frozen_at(at):
        return cases.open_case(
            customer=client,
            subject="Outgoing mail rejected",
            body=body,
            channel="email",
            impact="down",
            units=list(client.units.all()),
        )


def test_a_condition_with_an_unknown_field_is_refused_at_save_with_its_position(priya):
    with pytest.raises(ServiceError) as refused:
        rules.save_rule(by=priya, name="bad", condition='element.kynd == "relay"')
    assert "line 1, column" in refused.value.message and "kynd" in refused.value.message
    with pytest.raises(ServiceError, match="at least 2"):
        rules.save_rule(by=priya, name="one", condition="true", min_count=1)


def test_an_approved_rule_proposes_with_why_and_a_lead_accepts(okafor, priya):
    _rule(priya, mode="on", needs_approval=True)
    clients = okafor["clients"]
    first = _report(clients[0], NOW)
    _report(clients[1], NOW + 4 * MINUTE)
    assert Proposal.objects.get().state == ProposalState.GATHERING
    _report(clients[2], NOW + 9 * MINUTE)
    proposal = Proposal.objects.get()
    assert proposal.state == ProposalState.PENDING
    assert proposal.why == "same relay smtp-2, 3 cases in 9 minutes, rule 'relay bursts'"
    assert not Incident.objects.exists()
    assert ToDo.objects.filter(kind="grouping_proposal", evidence__proposal_id=proposal.pk).exists()
    with clock.frozen_at(NOW + 10 * MINUTE):
        services.decide(proposal, accept=True, by=priya)
    incident = Incident.objects.get()
    assert ToDo.objects.get(kind="grouping_proposal").outcome == f"opened {incident.ref}"
    links = IncidentCase.objects.filter(incident=incident)
    assert links.count() == 3 and {link.why for link in links} == {proposal.why}
    # the smtp-2 clients were told by the incident's first update: everyone behind it, not only the writers
    assert incident.updates.count() == 1 and incident.affected.count() == 3
    # a later case behind smtp-2 joins on arrival, saying why
    later = _report(clients[0], NOW + 12 * MINUTE, body="Still rejected.")
    assert IncidentCase.objects.get(case=later).why == f"runs on relay smtp-2, which {incident.ref} is about"
    with pytest.raises(Conflict):
        services.decide(proposal, accept=False, by=priya)
    assert first.pk in set(links.values_list("case_id", flat=True))


def test_a_rule_without_approval_opens_the_incident_itself(okafor, priya):
    _rule(priya, mode="on", needs_approval=False, min_count=2)
    _report(okafor["clients"][0], NOW)
    _report(okafor["clients"][1], NOW + MINUTE)
    incident = Incident.objects.get()
    assert incident.opened_by_label == "rule relay bursts"
    assert IncidentCase.objects.filter(incident=incident).count() == 2


def test_cases_spread_wider_than_the_window_are_not_a_burst(okafor, priya):
    _rule(priya, mode="on", needs_approval=False, min_count=3, window_minutes=10)
    for n, client in enumerate(okafor["clients"][:3]):
        _report(client, NOW + n * 8 * MINUTE)  # 0, 8, 16 minutes: never three inside ten
    assert not Incident.objects.exists()
    assert Sighting.objects.count() == 3
    assert not Proposal.objects.exclude(state=ProposalState.GATHERING).exists()


def test_a_case_on_another_relay_or_a_question_is_not_counted(okafor, priya):
    _rule(priya, mode="on")
    _report(okafor["clients"][3], NOW)  # smtp-1
    with clock.frozen_at(NOW):
        cases.open_case(
            customer=okafor["clients"][0],
            subject="How do I add an alias?",
            body="A question.",
            channel="email",
            units=list(okafor["clients"][0].units.all()),
        )
    assert set(Proposal.objects.values_list("key", flat=True)) == {"component:smtp-1"}
    assert Sighting.objects.count() == 1


def test_a_shadow_rule_records_what_it_would_have_grouped_and_does_nothing(okafor, priya):
    _rule(priya, mode="shadow", needs_approval=False)
    for n, client in enumerate(okafor["clients"][:3]):
        _report(client, NOW + n * MINUTE)
    proposal = Proposal.objects.get()
    assert proposal.state == ProposalState.SHADOW and proposal.count == 3
    assert "3 cases in 2 minutes" in proposal.why
    assert not Incident.objects.exists() and not IncidentCase.objects.exists()
    assert not ToDo.objects.filter(kind="grouping_proposal").exists()


def test_nothing_joins_a_resolved_incident(okafor, priya):
    _rule(priya, mode="on", needs_approval=False, min_count=2)
    _report(okafor["clients"][0], NOW)
    _report(okafor["clients"][1], NOW + MINUTE)
    incident = Incident.objects.get()
    with clock.frozen_at(NOW + 5 * MINUTE):
        incidents.resolve(incident, body="Rolled back.", by=priya)
    after = _report(okafor["clients"][2], NOW + 6 * MINUTE)
    assert not IncidentCase.objects.filter(case=after).exists()
    # it starts a new group rather than feeding the resolved one
    assert Proposal.objects.filter(incident=incident).get().count == 2
    assert Proposal.objects.count() == 2


def test_an_agent_detaches_a_wrong_link_and_it_counts_against_the_rule(okafor, priya, tom):
    _rule(priya, mode="on", needs_approval=False, min_count=2)
    a = _report(okafor["clients"][0], NOW)
    b = _report(okafor["clients"][1], NOW + MINUTE)
    incident = Incident.objects.get()
    incidents.detach_case(incident, b, by=tom, reason="a mailbox quota problem, not the relay")
    assert list(IncidentCase.objects.filter(incident=incident).values_list("case_id", flat=True)) == [a.pk]
    with pytest.raises(Conflict):
        incidents.detach_case(incident, b, by=tom)


def test_a_words_rule_groups_cases_that_name_no_unit_by_their_words(okafor, priya):
    rules.save_rule(
        by=priya,
        name="same words",
        condition="case.units == 0",
        group_by="words",
        min_count=3,
        needs_approval=True,
        mode="on",
    )
    bodies = [
        "Our outgoing mail is rejected: 550 relay denied.",
        "Every email we send bounces with 550 relay denied.",
        "How do I change my invoice address?",
        "Sending fails, the server says 550 5.7.1 relay denied.",
    ]
    for n, body in enumerate(bodies):
        with clock.frozen_at(NOW + n * MINUTE):
            cases.open_case(
                customer=okafor["clients"][n], subject="Help", body=body, channel="email", impact="down"
            )
    proposal = Proposal.objects.exclude(state=ProposalState.GATHERING).get()
    assert proposal.state == ProposalState.PENDING and proposal.count == 3
    assert proposal.why.startswith('same words "') and "3 cases in 3 minutes" in proposal.why
    invoice = Sighting.objects.exclude(proposal=proposal).get()
    assert invoice.case.subject == "Help" and invoice.proposal.count == 1


def test_accepting_a_words_group_opens_an_incident_reaching_the_customers_who_wrote(okafor, priya):
    rules.save_rule(by=priya, name="same words", condition="true", group_by="words", min_count=2, mode="on")
    for n in range(2):
        with clock.frozen_at(NOW + n * MINUTE):
            cases.open_case(
                customer=okafor["clients"][n],
                subject="Mail",
                body="Outgoing mail rejected, 550 relay denied",
                channel="email",
                impact="down",
            )
    with clock.frozen_at(NOW + 3 * MINUTE):
        proposal = services.decide(Proposal.objects.get(), accept=True, by=priya)
    incident = proposal.incident
    assert sorted(incident.affected.values_list("customer_id", flat=True)) == sorted(
        c.pk for c in okafor["clients"][:2]
    )
    assert incident.case_links.count() == 2 and incident.created_by == priya


def test_a_component_added_later_is_known_to_the_next_case_in_every_process(okafor, priya):
    _rule(priya, mode="on", min_count=2)
    _report(okafor["clients"][3], NOW)  # smtp-1: loads the components into this process
    loaded = upstream.components.stamp
    monitoring.add_component(name="smtp-9", kind="relay", group="Mail")
    assert stamps.current(upstream.COMPONENTS_STAMP) != loaded  # every process rereads at its next case
    assert "smtp-9" in upstream.components.get()


def test_a_stamp_another_process_changed_is_read_within_a_second(db, monkeypatch):
    # given this process has read the rules' stamp
    seen = stamps.current(rules.RULES_STAMP)
    # when another process saves a rule (its change goes straight to the shared cache)
    cache.set(f"stamp:{rules.RULES_STAMP}", "saved elsewhere", timeout=None)
    # then this process's next cases keep what it read, with no round trip each, for under a second
    read_at = stamps._recent[rules.RULES_STAMP][1]
    monkeypatch.setattr(stamps, "monotonic", lambda: read_at + stamps.RECHECK_SECONDS * 0.9)
    assert stamps.current(rules.RULES_STAMP) == seen
    # and the one after the second reads the change
    monkeypatch.setattr(stamps, "monotonic", lambda: read_at + stamps.RECHECK_SECONDS)
    assert stamps.current(rules.RULES_STAMP) == "saved elsewhere"


def test_a_stamp_this_process_changes_is_read_at_once(db):
    # given this process has read the components' stamp
    seen = stamps.current(upstream.COMPONENTS_STAMP)
    # when this process changes it
    stamps.change(upstream.COMPONENTS_STAMP)
    # then its very next read has the new one
    assert stamps.current(upstream.COMPONENTS_STAMP) not in (seen, None)


def test_a_case_two_rules_would_link_is_linked_once(okafor, priya):
    _rule(priya, name="relay bursts", mode="on", needs_approval=False, min_count=2)  # looked at first
    rules.save_rule(
        by=priya,
        name="same words",
        condition="true",
        group_by="words",
        min_count=2,
        mode="on",
        needs_approval=False,
    )
    for n, client in enumerate(okafor["clients"][2:4]):  # naming no unit: the words group opens its incident
        with clock.frozen_at(NOW + n * MINUTE):
            cases.open_case(customer=client, subject="Mail", body="550 relay denied", channel="email")
    words_incident = Incident.objects.get()
    _report(okafor["clients"][0], NOW + 2 * MINUTE, body="550 relay denied")  # joins the words incident
    # the relay rule opens its incident with this one; the words group's incident must not take it too
    last = _report(okafor["clients"][1], NOW + 3 * MINUTE, body="550 relay denied")
    link = IncidentCase.objects.get(case=last)
    assert link.incident != words_incident and link.why.startswith("same relay smtp-2, 2 cases")


def test_a_case_that_joins_on_arrival_is_told_we_already_know_in_its_acknowledgement(
    okafor, priya, smtp_server
):
    with clock.frozen_at(NOW):
        incident = incidents.open_incident(
            title="smtp-2 rejects mail",
            components=[okafor["relay"]],
            body="We are rolling it back.",
            by=priya,
        )
    case = _report(okafor["clients"][0], NOW + MINUTE)
    ack = cases.confirm_receipt(case, person_name="Owner One")
    assert f"We already know about this: smtp-2 rejects mail ({incident.ref})" in " ".join(
        ack.body_text.split()
    )
    assert "Where it stands: We are rolling it back." in " ".join(ack.body_text.split())
    other = _report(okafor["clients"][3], NOW + MINUTE)  # smtp-1: nothing known
    assert "already know" not in cases.confirm_receipt(other, person_name="Owner Four").body_text


def test_a_router_rule_sees_one_fault_behind_several_switches(db, priya):
    core = monitoring.add_component(name="core-1", kind="router", group="Network")
    for name in ("sw-1", "sw-2"):
        monitoring.add_component(name=name, kind="switch", group="Network", parent=core)
    rules.save_rule(by=priya, name="router", condition='element.kind == "router"', min_count=3, mode="shadow")
    for n in range(3):
        line = customers.create_customer(
            name=f"Line {n}", plan="fibre", customer_since=datetime.date(2020, 1, 1), monthly_value="30"
        )
        port = customers.add_unit(line, kind="line", name=f"FTTP-{n}", labels={"switch": f"sw-{1 + n % 2}"})
        with clock.frozen_at(NOW + n * MINUTE):
            cases.open_case(
                customer=line,
                subject="No internet",
                body="Down",
                channel="phone",
                impact="down",
                units=[port],
            )
    proposal = Proposal.objects.get()
    assert proposal.key == "component:core-1" and proposal.state == ProposalState.SHADOW
    assert proposal.why == "same router core-1, 3 cases in 2 minutes, rule 'router'"
