"""Delivery failure notices as real mail servers write them (sisimai's corpus, tests/data/sisimai, BSD
2-Clause): each is matched to the send it answers, with the right class, and only a permanent address failure
marks the contact point failing. The expected outcome of each file is written beside it (expected.json)."""

import json
from pathlib import Path

import pytest

from frontline.cases.models import Case
from frontline.core import clock
from frontline.customers import services as customers
from frontline.delivery.models import DeliveryAttempt
from frontline.intake import services as intake
from frontline.intake.models import RawStatus, Source
from frontline.intake.tests import helpers

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "sisimai"
EXPECTED = json.loads((DATA / "expected.json").read_text())


@pytest.fixture
def sent_to(db):
    """Our message went to each recipient a notice names, from a customer's contact point."""
    customer = customers.create_customer(name="Bounce Test Ltd", customer_since=clock.now().date())

    def send(recipients: list[str], message_id: str) -> dict[str, DeliveryAttempt]:
        return helpers.sent_to(customer, recipients, message_id)

    return send


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_notice_is_matched_to_its_send_with_the_right_outcome(sent_to, name):
    expected = EXPECTED[name]
    # given we sent the message the notice returns to each recipient it names
    attempts = sent_to([r["recipient"] for r in expected["recipients"]], expected["about"])
    # when the notice arrives
    row = intake.receive((DATA / name).read_bytes(), source=Source.SMTP)
    # then it is read as a delivery report, opens no case, and each send has the expected outcome
    assert row.status == RawStatus.REPORT, row.reason
    assert not Case.objects.exists()
    for want in expected["recipients"]:
        attempt = attempts[want["recipient"]]
        attempt.refresh_from_db()
        attempt.contact_point.refresh_from_db()
        assert attempt.status == want["outcome"], (want, attempt.report_status)
        assert (attempt.contact_point.state == "failing") == want["marks_failing"], (
            want,
            attempt.report_status,
        )


def test_the_named_plain_text_bounces_of_issue_19_are_all_in_the_corpus():
    named = {"exim-02", "qmail-02", "gmail-01", "yahoo-01", "opensmtpd-01", "courier-01", "sendmail-13"}
    assert {f"lhost-{n}.eml" for n in named} | {"rfc3464-51.eml"} <= set(EXPECTED)
