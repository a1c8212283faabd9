"""Story S3's analysis is ours: the incident page assembles the evidence (alerts, state changes, recorded
changes, the cases and their key messages, what we said) and a reply asking a customer hit by the incident
to run diagnostics is held until the agent has seen what we already hold."""

import datetime

import pytest

from frontline.cases import services as cases
from frontline.cases.replies import NeedsConfirmation
from frontline.core import clock
from frontline.incidents import evidence
from frontline.incidents import services as incidents
from frontline.incidents.models import Incident
from frontline.monitoring import changes
from frontline.monitoring import services as monitoring
from frontline.monitoring.models import LooksUp
from frontline.monitoring.tests.payloads import alert, group
from frontline.tests.helpers import run_queued_jobs

START = datetime.datetime(2026, 12, 1, 9, 58, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)
KEY = '{}:{alertname="RelayRejecting"}'


@pytest.fixture
def relay_incident(post_json, okafor, priya):
    """A relay change at 09:40, the relay rejecting from 09:58 (its alert opens the incident), two clients
    writing, recovery at 10:40 and the incident resolved at 10:45."""
    monitoring.save_matcher(label="instance", looks_up=LooksUp.COMPONENT, by=priya)
    with clock.frozen_at(START - 18 * MINUTE):
        changes.record_change(
            kind="configuration",
            summary="Relay access list regenerated",
            targets=["smtp-2"],
            changed_by="deploy-bot",
            tool="ansible",
            by=priya,
        )
    firing = alert(name="RelayRejecting", starts="2026-12-01T09:58:00Z", instance="smtp-2")
    with clock.frozen_at(START + MINUTE):
        post_json(group(firing, key=KEY))
        run_queued_jobs()
    for n, client in enumerate(okafor["clients"][:2]):
        with clock.frozen_at(START + (5 + n) * MINUTE):
            cases.open_case(
                customer=client,
                subject="Mail rejected",
                body="Hello, all our mail is rejected with 550 5.7.1 relay denied." if n else "Hello there.",
                channel="email",
                impact="down",
                units=list(client.units.all()),
            )
    with clock.frozen_at(START + 20 * MINUTE):
        cases.record_inbound_message(
            incidents_case(okafor["clients"][1]), body="Now it times out as well.", channel="email"
        )
    resolved = alert(
        name="RelayRejecting",
        status="resolved",
        starts="2026-12-01T09:58:00Z",
        instance="smtp-2",
        ends="2026-12-01T10:40:00Z",
    )
    with clock.frozen_at(START + 42 * MINUTE):
        post_json(group(resolved, key=KEY))
        run_queued_jobs()
    incident = Incident.objects.get()
    with clock.frozen_at(START + 47 * MINUTE):
        incidents.resolve(incident, body="The access list is restored.", by=priya)
    incident.refresh_from_db()
    return incident


def incidents_case(client):
    return client.cases.get()


def test_the_evidence_is_assembled_from_alerts_states_changes_cases_and_updates(relay_incident):
    found = evidence.assemble(relay_incident)
    kinds = [entry.kind for entry in found.timeline]
    texts = [entry.text for entry in found.timeline]
    assert kinds[0] == "change" and texts[0] == "Configuration change: Relay access list regenerated"
    assert "Alert RelayRejecting firing" in texts and "smtp-2 down" in texts
    assert "smtp-2 operational again" in texts
    assert sum(kind == "case" for kind in kinds) == 2 and found.cases == 2
    assert [e.at for e in found.timeline] == sorted(e.at for e in found.timeline)
    # the first message from each customer, and later ones that describe a symptom
    reasons = [(m.case.customer.name, why) for m, why in found.key_messages]
    assert reasons == [
        ("Client 01", "first from this customer"),
        ("Client 02", "first from this customer"),
        ("Client 02", "describes a symptom"),
    ]


def test_customer_minutes_lost_come_from_the_state_history(relay_incident):
    customers, units, minutes = evidence.customer_minutes_lost(relay_incident)
    # smtp-2 was down from 09:58 to 10:40 (the alert's end) for each of the three clients behind it; the
    # incident's own span (to 10:45) is not what they lost
    assert (customers, units) == (3, 3)
    assert minutes == 3 * 42


def test_a_reply_asking_for_diagnostics_on_an_open_incident_is_held(post_json, okafor, priya, tom):
    monitoring.save_matcher(label="instance", looks_up=LooksUp.COMPONENT, by=priya)
    with clock.frozen_at(START):
        post_json(group(alert(name="RelayRejecting", instance="smtp-2"), key=KEY))
        run_queued_jobs()
        case = cases.open_case(
            customer=okafor["clients"][0],
            subject="Mail rejected",
            body="550 relay denied",
            channel="email",
            impact="down",
            units=list(okafor["clients"][0].units.all()),
        )
    with pytest.raises(NeedsConfirmation) as held:
        cases.reply_to_case(case, by=tom, body="Could you run a traceroute to smtp-2 and send us the logs?")
    [caution] = held.value.cautions
    assert "INC-" in caution.message and "run diagnostics" in caution.message
    assert any("linked cases" in line for line in caution.evidence)
    assert held.value.status == 409
    # a reply that asks nothing of them goes; so does the held one, confirmed
    assert cases.reply_to_case(case, by=tom, body="We know, and we are fixing it.").pk
    assert cases.reply_to_case(case, by=tom, body="Please send the full headers.", confirmed=True).pk


def test_the_same_ask_on_a_case_in_no_incident_is_not_held(okafor, tom):
    case = cases.open_case(
        customer=okafor["clients"][3], subject="Slow", body="Slow mail", channel="email", impact="degraded"
    )
    assert cases.reply_to_case(case, by=tom, body="Could you run a traceroute for us?").pk


def test_the_reply_form_shows_what_we_hold_and_asks_to_confirm(client, post_json, okafor, priya, tom):
    monitoring.save_matcher(label="instance", looks_up=LooksUp.COMPONENT, by=priya)
    post_json(group(alert(name="RelayRejecting", instance="smtp-2"), key=KEY))
    run_queued_jobs()
    case = cases.open_case(
        customer=okafor["clients"][0],
        subject="Mail rejected",
        body="550",
        channel="email",
        impact="down",
        units=list(okafor["clients"][0].units.all()),
    )
    client.force_login(tom.user)
    page = client.post(f"/cases/{case.ref}/reply", {"body": "Please send us your mail logs."})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="reply-caution"' in html
    assert "Please send us your mail logs." in html and 'name="confirmed"' in html
    assert not case.messages.filter(direction="out").exists()
    sent = client.post(
        f"/cases/{case.ref}/reply", {"body": "Please send us your mail logs.", "confirmed": "on"}
    )
    assert sent.status_code == 302 and case.messages.filter(direction="out").count() == 1


@pytest.mark.parametrize(
    "reply, held",
    [
        ("Could you run a traceroute to our server?", True),
        ("Please send us the full headers of a bounced message.", True),
        ("Can you ping smtp-2 from your office and tell us what you see?", True),
        ("Please run some tests on your side.", True),
        ("Send us your mail logs, please.", True),
        ("We know: smtp-2 rejects mail since 09:58 and we are rolling back the change.", False),
        ("Your mailbox is fine; nothing is needed on your side.", False),
    ],
)
def test_what_counts_as_asking_the_customer_to_diagnose(reply, held):
    assert bool(evidence.DIAGNOSTICS.search(reply)) is held


def test_a_units_own_state_changes_are_evidence_too(post_json, sam_monitored, priya):
    with clock.frozen_at(START + MINUTE):
        post_json(group(alert(name="SiteDown", starts="2026-12-01T09:58:00Z", site="walkerblog.example")))
        run_queued_jobs()
        incident = incidents.open_incident(title="walkerblog.example", units=[sam_monitored], by=priya)
    texts = [entry.text for entry in evidence.assemble(incident).timeline]
    assert "walkerblog.example down" in texts and "Alert SiteDown firing" in texts
