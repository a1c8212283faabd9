"""After the incident: a postmortem with the impact computed, corrective actions that close only with a
verification and are chased when due; the fault coming back is recognised as a repeat and the earlier
actions answer for it; the customers it reached (and only they) get a summary with their own timeline."""

import datetime

import pytest

from frontline.cases import confirmation
from frontline.cases import services as cases
from frontline.core import clock
from frontline.core.errors import Conflict, ServiceError
from frontline.incidents import postmortems
from frontline.incidents import services as incidents
from frontline.incidents.models import ActionStatus, CorrectiveAction, ProactiveCase
from frontline.notifications.models import Notification
from frontline.tests.helpers import run_queued_jobs
from frontline.todos.models import ToDo

JUNE = datetime.datetime(2026, 6, 14, 8, 0, tzinfo=datetime.UTC)
DECEMBER = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def _over(okafor, priya, at, *, title="smtp-2 rejects mail", cases=()):
    """An incident on smtp-2 opened at `at` (the cases linked), resolved an hour later."""
    with clock.frozen_at(at):
        incident = incidents.open_incident(
            title=title, components=[okafor["relay"]], body="We are on it.", by=priya
        )
        for case in cases:
            incidents.link_case(incident, case, by=priya)
    with clock.frozen_at(at + HOUR):
        incidents.resolve(incident, body="Fixed.", by=priya)
    incident.refresh_from_db()
    return incident


def _postmortem(incident, priya, tom, *, at):
    with clock.frozen_at(at):
        postmortem = incidents.write_postmortem(
            incident, root_cause="The relay's access list was replaced.", cause_class="change", by=priya
        )
        action = incidents.add_action(
            postmortem,
            kind="prevent",
            description="Check the access list in CI before it is deployed",
            owner=tom,
            priority="high",
            by=priya,
        )
    return postmortem, action


def test_a_postmortem_waits_for_the_resolution_and_computes_the_impact(okafor, priya):
    with clock.frozen_at(DECEMBER):
        incident = incidents.open_incident(title="smtp-2", components=[okafor["relay"]], by=priya)
        with pytest.raises(Conflict, match="resolve the incident first"):
            incidents.write_postmortem(incident, root_cause="x", cause_class="change", by=priya)
    with clock.frozen_at(DECEMBER + 90 * datetime.timedelta(minutes=1)):
        incidents.resolve(incident, body="Fixed.", by=priya)
        postmortem = incidents.write_postmortem(
            incident, root_cause="The access list.", cause_class="change", by=priya
        )
    # no monitoring history here: each of the 3 clients counts the incident's 90 minutes
    assert (postmortem.customers, postmortem.units, postmortem.customer_minutes_lost) == (3, 3, 270)


def test_a_corrective_action_closes_only_with_what_shows_it_works(okafor, priya, tom):
    incident = _over(okafor, priya, DECEMBER)
    _, action = _postmortem(incident, priya, tom, at=DECEMBER + 2 * HOUR)
    assert action.due_at == DECEMBER + 2 * HOUR + datetime.timedelta(days=30)  # high: a month
    with pytest.raises(ServiceError, match="what shows the fix works"):
        incidents.complete_action(action, verification_kind="", verification="", by=tom)
    with pytest.raises(ServiceError, match="describe the verification"):
        incidents.complete_action(action, verification_kind="test", verification=" ", by=tom)
    done = incidents.complete_action(
        action, verification_kind="test", verification="tests/relay_acl_test.py fails without it", by=tom
    )
    assert done.status == ActionStatus.DONE and done.done_at is not None


def test_actions_are_chased_before_and_after_their_due_date(okafor, priya, tom):
    incident = _over(okafor, priya, DECEMBER)
    _, action = _postmortem(incident, priya, tom, at=DECEMBER + 2 * HOUR)
    with clock.frozen_at(action.due_at - datetime.timedelta(days=5)):
        assert postmortems.remind() == 0
    with clock.frozen_at(action.due_at - datetime.timedelta(days=1)):
        assert postmortems.remind() == 1
        assert postmortems.remind() == 0  # once
    assert list(ToDo.objects.filter(kind="action_due").values_list("assignee", flat=True)) == [tom.pk]
    with clock.frozen_at(action.due_at + HOUR):
        assert postmortems.remind() == 1
    overdue = ToDo.objects.filter(kind="action_overdue")
    assert sorted(overdue.values_list("assignee", flat=True)) == sorted([tom.pk, priya.pk])


def test_a_repeat_whose_action_was_never_done_tells_its_owner_and_their_lead(okafor, priya, tom):
    june = _over(okafor, priya, JUNE)
    _postmortem(june, priya, tom, at=JUNE + 2 * HOUR)
    december = _over(okafor, priya, DECEMBER)
    assert december.repeat_of == june
    assert (
        december.repeat_reason
        == f"the second time this year: the same mail relay smtp-2 as {june.ref} (14 June)"
    )
    told = ToDo.objects.filter(kind="repeat_action")
    assert sorted(told.values_list("assignee", flat=True)) == sorted([tom.pk, priya.pk])
    assert "was never done" in told.first().title
    assert CorrectiveAction.objects.get().status == ActionStatus.OPEN


def test_a_repeat_reopens_an_action_marked_done(okafor, priya, tom):
    june = _over(okafor, priya, JUNE)
    _, action = _postmortem(june, priya, tom, at=JUNE + 2 * HOUR)
    with clock.frozen_at(JUNE + 48 * HOUR):
        incidents.complete_action(action, verification_kind="link", verification="MR !412", by=tom)
    december = _over(okafor, priya, DECEMBER)
    action.refresh_from_db()
    assert action.status == ActionStatus.REOPENED and action.reopened_by == december
    assert action.reopened_reason == "fix ineffective or not deployed"
    assert ToDo.objects.filter(kind="repeat_action", assignee=tom).count() == 1


def test_an_incident_elsewhere_is_no_repeat(okafor, priya):
    _over(okafor, priya, JUNE)
    with clock.frozen_at(DECEMBER):
        smtp1 = okafor["clients"][3].units.get()
        other = incidents.open_incident(title="smtp-1", units=[smtp1], by=priya)
    assert other.repeat_of is None


def test_the_summary_goes_to_the_affected_customers_only_each_with_their_timeline(
    okafor, priya, tom, django_capture_on_commit_callbacks
):
    client1 = okafor["clients"][0]
    with clock.frozen_at(DECEMBER - datetime.timedelta(minutes=5)):
        case = cases.open_case(
            customer=client1,
            subject="Mail rejected",
            body="550",
            channel="email",
            impact="down",
            units=list(client1.units.all()),
        )
    incident = _over(okafor, priya, DECEMBER, cases=[case])
    with clock.frozen_at(DECEMBER + 2 * HOUR):
        confirmation.confirm_fix(case, answer="yes", via="link")
        postmortem, _ = _postmortem(incident, priya, tom, at=DECEMBER + 2 * HOUR)
        with django_capture_on_commit_callbacks(execute=True):
            count = incidents.send_customer_summary(
                postmortem, body="Mail was refused for an hour.", by=priya
            )
        run_queued_jobs()
    assert count == 3
    summaries = Notification.objects.filter(subject_id=f"{incident.pk}/summary")
    assert sorted(summaries.values_list("customer_id", flat=True)) == sorted(
        c.pk for c in okafor["clients"][:3]
    )
    body = summaries.get(customer=client1).body
    assert "Root cause: The relay's access list was replaced." in body
    assert "2026-12-01 09:55: you first told us" in body
    assert "2026-12-01 11:00: fixed" in body and "you confirmed it works" in body
    with pytest.raises(Conflict):
        incidents.send_customer_summary(postmortem, body="Again.", by=priya)


def test_a_case_we_opened_from_monitoring_is_not_the_customer_telling_us(okafor, priya):
    told, watched = okafor["clients"][:2]
    made = []
    for client in (told, watched):
        with clock.frozen_at(DECEMBER - datetime.timedelta(minutes=5)):
            made.append(
                cases.open_case(customer=client, subject="Mail", body="550", channel="email", impact="down")
            )
    ProactiveCase.objects.create(unit=watched.units.get(), case=made[1], opened_at=DECEMBER)
    incident = _over(okafor, priya, DECEMBER, cases=made)
    timelines = postmortems.customer_timelines(incident)
    assert "you first told us" in [what for _, what in timelines[told.pk]]
    assert "you first told us" not in [what for _, what in timelines[watched.pk]]
