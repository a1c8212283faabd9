"""Grouping quality, measured against what people did: agents' links, detaches and merges are labels, and
each rule's pairwise precision and recall are computed from them; how early an incident was found is the
share of affected customers told before they contacted us."""

import datetime

import pytest

from frontline.cases import services as cases
from frontline.core import clock
from frontline.correlation import quality, rules
from frontline.events.models import GROUPING_LABELS, EventKind
from frontline.incidents import ledger
from frontline.incidents import services as incidents
from frontline.incidents.events import INCIDENT_CASE_DETACHED, INCIDENT_CASE_LINKED
from frontline.notifications import services as notifications
from frontline.tests.helpers import query_plan, run_queued_jobs

NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


def _report(client, at):
    with clock.frozen_at(at):
        return cases.open_case(
            customer=client,
            subject="Outgoing mail rejected",
            body="550 relay denied on everything we send.",
            channel="email",
            impact="down",
            units=list(client.units.all()),
        )


def test_precision_and_recall_come_from_agents_links_detaches_and_merges(okafor, priya, tom):
    rules.save_rule(by=priya, name="relay bursts", condition='element.kind == "relay"', min_count=2)  # shadow
    clients = okafor["clients"]
    a, b, c = (_report(client, NOW + n * MINUTE) for n, client in enumerate(clients[:3]))
    e = _report(clients[1], NOW + 4 * MINUTE)
    incident = incidents.open_incident(title="smtp-2", components=[okafor["relay"]], by=priya)
    for case in (a, b, c):
        incidents.link_case(incident, case, by=tom)  # a person's links: the same problem
    incidents.detach_case(incident, c, by=tom)  # ...and c is not, after all
    cases.merge_cases(e, into=b, by=tom, reason="the same mailbox")
    [score] = quality.scores()
    # grouped together by the rule: a-b, a-c, b-c, b-e labelled; a-b and b-e the same problem
    assert (score.labelled_pairs, score.agreed) == (4, 2)
    assert score.precision == pytest.approx(0.5)
    assert (score.same_pairs, score.found) == (2, 2) and score.recall == 1.0
    assert score.groups == 1 and score.grouped_cases == 4


def test_a_rules_own_links_are_not_labels(okafor, priya):
    rules.save_rule(
        by=priya,
        name="relay bursts",
        condition='element.kind == "relay"',
        min_count=2,
        mode="on",
        needs_approval=False,
    )
    _report(okafor["clients"][0], NOW)
    _report(okafor["clients"][1], NOW + MINUTE)
    [score] = quality.scores()
    assert score.groups == 1 and score.labelled_pairs == 0 and score.precision is None


def test_the_share_told_before_they_contacted_us(
    okafor, priya, smtp_server, django_capture_on_commit_callbacks
):
    clients = okafor["clients"]
    early = _report(clients[0], NOW - MINUTE)  # wrote to us before we said anything
    with clock.frozen_at(NOW):
        incident = incidents.open_incident(
            title="smtp-2 rejects mail", components=[okafor["relay"]], body="We are on it.", by=priya
        )
        with django_capture_on_commit_callbacks(execute=True):
            notifications.dispatch_due()
        run_queued_jobs()
    late = _report(clients[1], NOW + 10 * MINUTE)  # wrote after our notice reached them
    for case in (early, late):
        if not incident.case_links.filter(case=case).exists():
            incidents.link_case(incident, case, by=priya)
    found = ledger.earliness(incident)
    assert (found.affected, found.told_first, found.contacted_first, found.never_told) == (3, 2, 1, 0)
    assert found.share == pytest.approx(2 / 3)


def test_the_labels_are_read_through_their_own_index_not_the_whole_history(db):
    # given the kinds that are labels, as the events' partial index names them
    assert set(GROUPING_LABELS) == {
        EventKind.CASES_MERGED,
        EventKind.MESSAGE_SPLIT,
        INCIDENT_CASE_LINKED,
        INCIDENT_CASE_DETACHED,
    }
    # when the database plans the labels' read
    plan = query_plan(quality.label_rows())
    # then it reads the index of those events (on a table of millions, the page answers in milliseconds)
    assert "event_grouping_labels" in plan
