"""Story S3: the relay fails; the incident opens itself with the customers computed from the tree; every
update reaches every one of them through their ladders, one notice per person; the ledger says who was
told; resolving it resolves the linked cases and asks each customer to confirm."""

import datetime

import pytest

from frontline.cases import services as cases
from frontline.cases.models import CaseStatus
from frontline.core import clock
from frontline.core.errors import Conflict
from frontline.incidents import services
from frontline.incidents.models import Incident, IncidentState
from frontline.monitoring import services as monitoring
from frontline.monitoring.models import LooksUp
from frontline.monitoring.tests.payloads import alert, group
from frontline.notifications import services as notifications
from frontline.notifications.models import Notification, SubjectKind
from frontline.tests.helpers import run_queued_jobs

NOW = datetime.datetime(2026, 12, 1, 10, 0, 30, tzinfo=datetime.UTC)


def _incident_notices(incident):
    return Notification.objects.filter(subject_kind=SubjectKind.INCIDENT, subject_id=str(incident.pk))


def test_a_relay_alert_opens_an_incident_reaching_exactly_the_customers_behind_it(post_json, okafor, priya):
    monitoring.save_matcher(label="instance", looks_up=LooksUp.COMPONENT, by=priya)
    with clock.frozen_at(NOW):
        post_json(group(alert(name="RelayRejecting", starts="2026-12-01T09:58:00Z", instance="smtp-2:9100")))
        run_queued_jobs()
    incident = Incident.objects.get()
    assert incident.state == IncidentState.INVESTIGATING and incident.opened_by_label == "monitoring"
    assert incident.started_at == datetime.datetime(2026, 12, 1, 9, 58, tzinfo=datetime.UTC)
    affected = set(incident.affected.values_list("customer_id", flat=True))
    assert affected == {c.pk for c in okafor["clients"][:3]}  # not client 4, on smtp-1
    assert incident.updates.count() == 1 and incident.alerts.count() == 1


def test_a_person_acting_for_several_affected_accounts_gets_one_notice_naming_them(okafor, priya):
    incident = services.open_incident(title="smtp-2 rejects mail", components=[okafor["relay"]], by=priya)
    update = services.post_update(
        incident, state="identified", body="A configuration change on smtp-2.", by=priya
    )
    notices = list(_incident_notices(incident))
    renee = [n for n in notices if n.person_id == okafor["renee"].pk]
    assert len(renee) == 1 and "3 accounts you act for: Client 01, Client 02, Client 03" in renee[0].body
    accounts = [n for n in notices if n.person_id is None]
    assert sorted(n.customer_id for n in accounts) == sorted(c.pk for c in okafor["clients"][:3])
    assert all(n.skip_people == [okafor["renee"].pk] for n in accounts)
    assert update.notices == 4


def test_the_ledger_counts_who_was_told_and_lists_the_rest(
    okafor, priya, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.refuse["owner@client2.example"] = "550 5.1.1 no such user"
    incident = services.open_incident(
        title="smtp-2 rejects mail", components=[okafor["relay"]], body="We are looking into it.", by=priya
    )
    with django_capture_on_commit_callbacks(execute=True):
        notifications.dispatch_due()
    run_queued_jobs()
    ledger = services.ledger(incident)
    assert len(ledger.lines) == 3
    # every account is reached through Renee's one notice, so all three count as told
    assert ledger.told == 3
    by_name = {line.name: line for line in ledger.lines}
    assert by_name["Client 02"].bounced and by_name["Client 02"].via_person == ["Renee Okafor"]
    # Renee acknowledges once: all three of her accounts are acknowledged
    renee_notice = _incident_notices(incident).get(person=okafor["renee"])
    notifications.acknowledge(renee_notice, via="link")
    assert services.ledger(incident).count("acknowledged") == 3
    # the delivery evidence: what the SMTP server said, word for word
    assert any("queued as TEST123" in a.reply_text for a in renee_notice.attempts.all())


def test_resolving_resolves_the_linked_cases_and_asks_each_customer_to_confirm(okafor, priya, tom):
    client = okafor["clients"][0]
    case = cases.open_case(customer=client, subject="Mail rejected", body="550 relay denied", channel="email")
    incident = services.open_incident(title="smtp-2 rejects mail", components=[okafor["relay"]], by=priya)
    services.link_case(incident, case, by=tom)
    services.resolve(incident, body="The change was rolled back; mail flows again.", by=priya)
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and incident.ref in case.resolution_notes
    ask = Notification.objects.get(case=case, subject_kind=SubjectKind.CASE)
    assert "/confirm/" in ask.body and "rolled back" in ask.body
    with pytest.raises(Conflict, match="resolved"):
        services.link_case(incident, cases.open_case(customer=client, subject="x", body="y", channel="email"))
    with pytest.raises(Conflict, match="resolved"):
        services.post_update(incident, state="monitoring", body="again", by=priya)


def test_an_agent_may_not_run_an_incident(okafor, tom):
    from frontline.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.open_incident(title="x", components=[okafor["relay"]], by=tom)


def test_with_a_lead_first_a_monitoring_incident_tells_nobody_until_a_lead_posts(
    post_json, okafor, priya, settings
):
    from frontline.incidents.running import TELL_CUSTOMERS
    from frontline.todos.models import ToDo

    settings.FRONTLINE_INCIDENT_NOTICE = "lead"
    monitoring.save_matcher(label="instance", looks_up=LooksUp.COMPONENT, by=priya)
    with clock.frozen_at(NOW):
        post_json(group(alert(name="RelayRejecting", starts="2026-12-01T09:58:00Z", instance="smtp-2")))
        run_queued_jobs()
    incident = Incident.objects.get()
    assert incident.affected.count() == 3 and not _incident_notices(incident).exists()
    todo = ToDo.objects.get(kind=TELL_CUSTOMERS)
    assert incident.ref in todo.title and "3 customers" in todo.title
    services.post_update(incident, state="investigating", body="We know; we are on it.", by=priya)
    assert _incident_notices(incident).count() == 4  # three accounts and Renee once
