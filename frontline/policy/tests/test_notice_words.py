"""The notice a customer gets about a rule's decision reads as plain words (texts/policy/notice.txt)."""

from frontline.core import clock
from frontline.policy import services
from frontline.policy.models import Decision
from frontline.policy.tests.helpers import T0


def test_the_notice_about_an_abuse_report_names_no_reporter_and_no_field(castle, abuse_rule):
    # given a spam report by a CERT about one host behind Castle's line
    with clock.frozen_at(T0):
        services.receive_events(
            [
                {
                    "trigger": "abuse_report",
                    "facts": {"category": "spam", "reporter": "abuse@cert.example"},
                    "unit": {"ip": "192.0.2.18"},
                }
            ],
            source="api",
        )
    decision = Decision.objects.get()
    notice = decision.notification
    # then the customer reads what happened, what we will do and when, and what stays working
    assert (
        notice.title
        == f"We will isolate 192.0.2.18 at {decision.due_at:%Y-%m-%d %H:%M} UTC unless it is resolved"
    )
    assert "We were told that host 192.0.2.18 is sending spam." in notice.body
    assert "keeps serving" in notice.body and "re-scan" in notice.body
    # and never who reported them, nor our field names
    assert "cert.example" not in notice.title + notice.body
    assert "_" not in notice.body.split("http")[0] and "{" not in notice.body
