"""Story S1 through the real webhook: the site goes down, a case opens for Sam on his clock with the
first notice on its way; on recovery he is told and asked to confirm; "no" reopens with priority; during
announced maintenance an alert opens nothing."""

import datetime
import re

from django.test import override_settings

from frontline.cases import confirmation
from frontline.cases.models import Case, CaseStatus, DemandType
from frontline.core import clock
from frontline.incidents import maintenance
from frontline.incidents.models import Maintenance, ProactiveCase
from frontline.monitoring.tests.payloads import alert, group
from frontline.notifications.models import Notification, SubjectKind
from frontline.tests.helpers import run_queued_jobs

NOW = datetime.datetime(2026, 12, 1, 10, 0, 30, tzinfo=datetime.UTC)
DOWN = alert(starts="2026-12-01T10:00:00Z", site="walkerblog.example", instance="web-07")
UP = alert(status="resolved", starts="2026-12-01T10:00:00Z", site="walkerblog.example", instance="web-07")


def test_a_site_going_down_opens_sams_case_on_his_clock_and_starts_his_notice(post_json, sam_monitored, tom):
    with clock.frozen_at(NOW):
        post_json(group(DOWN))
        run_queued_jobs()
    case = Case.objects.get()
    assert case.customer == sam_monitored.customer and case.impact == "down"
    assert case.problem_started_at == datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
    assert list(case.affected_units.all()) == [sam_monitored]
    assert case.messages.get().channel == "monitoring"
    assert ProactiveCase.objects.get().case == case
    notice = Notification.objects.get(subject_kind=SubjectKind.CASE, case=case)
    assert "we are on it" in notice.title and case.ref in notice.body
    # reposted every repeat interval: still one case, one notice
    with clock.frozen_at(NOW + datetime.timedelta(minutes=5)):
        post_json(group(DOWN))
        run_queued_jobs()
    assert Case.objects.count() == 1 and Notification.objects.filter(case=case).count() == 1


def test_recovery_resolves_the_case_and_asks_sam_to_confirm_and_no_reopens_it_with_priority(
    post_json, sam_monitored, tom
):
    with clock.frozen_at(NOW):
        post_json(group(DOWN))
        run_queued_jobs()
    with clock.frozen_at(NOW + datetime.timedelta(hours=2)):
        post_json(group(UP))
        run_queued_jobs()
        case = Case.objects.get()
        assert case.status == CaseStatus.RESOLVED and "recover" in case.resolution_notes
        ask = Notification.objects.filter(case=case).latest("pk")
        # the notice carries the case's confirmation link (signed at the real second it was written, which the
        # frozen clock does not hold: read back, not compared with one signed now)
        found = re.search(r"/confirm/([^/\s]+)/", ask.body)
        assert found and ask.title.startswith("Fixed:")
        token = found.group(1)
        assert confirmation.case_for_link(token) == case
        before = case.priority
        # the link's page changes nothing on a GET (mail scanners follow links)
        from django.test import Client

        client = Client()
        assert client.get(f"/confirm/{token}/").status_code == 200
        case.refresh_from_db()
        assert case.status == CaseStatus.RESOLVED
        # "no" reopens it, as failure demand, higher than it was
        page = client.post(f"/confirm/{token}/", {"answer": "no", "words": "still a 503 on /shop"})
        assert page.status_code == 200 and b"reopened" in page.content
    case.refresh_from_db()
    assert case.is_open and case.reopen_count == 1
    assert case.demand_type == DemandType.FAILURE and case.failure_reason == confirmation.STILL_BROKEN
    assert case.priority > before
    assert "still a 503 on /shop" in case.messages.latest("pk").body_text


def test_yes_closes_the_case(post_json, sam_monitored, tom):
    with clock.frozen_at(NOW):
        post_json(group(DOWN))
        run_queued_jobs()
        post_json(group(UP))
        run_queued_jobs()
    case = Case.objects.get()
    confirmation.confirm_fix(case, answer="yes")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_a_later_contact_from_sam_joins_the_proactive_case(post_json, sam_monitored, tom, sam_person):
    from frontline.intake import services as intake

    with clock.frozen_at(NOW):
        post_json(group(DOWN))
        run_queued_jobs()
    case = Case.objects.get()
    with clock.frozen_at(NOW + datetime.timedelta(days=1)):
        intake.submit(
            {
                "channel": "api",
                "email": "sam@walkerblog.example",
                "subject": "walkerblog.example is down",
                "body": "Any news? walkerblog.example still answers 503.",
            },
            source="api",
            channel="api",
        )
    assert Case.objects.count() == 1
    case.refresh_from_db()
    assert case.messages.count() == 2


@override_settings(FRONTLINE_MAINTENANCE_REMINDER_HOURS=1)
def test_an_alert_during_announced_maintenance_opens_no_case_and_is_linked_to_it(
    post_json, sam_monitored, web07, priya, smtp_server
):
    with clock.frozen_at(NOW - datetime.timedelta(days=1)):
        work = maintenance.schedule(
            title="Kernel upgrade on web-07",
            body="Sites on web-07 restart once.",
            impact="OUTAGE",
            starts_at=NOW - datetime.timedelta(minutes=10),
            ends_at=NOW + datetime.timedelta(hours=1),
            components=[web07],
            by=priya,
        )
    with clock.frozen_at(NOW):
        post_json(group(DOWN))
        run_queued_jobs()
    assert not Case.objects.exists()
    assert list(Maintenance.objects.get(pk=work.pk).alerts.values_list("fingerprint", flat=True)) == [
        DOWN["fingerprint"]
    ]
