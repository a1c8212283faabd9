"""Mail as flanker's fixtures hold it (mailgun/flanker, tests/data/flanker, Apache-2.0): broken MIME,
encoded and raw 8-bit headers, S/MIME, Outlook Express, iPhone, bounces, feedback reports and read receipts.
The expected outcome of each file is written beside it (expected.json): a person's mail reaches a case with
its sender and name, a delivery report is matched to our send with its class, other automatic mail opens
nothing."""

import json
from pathlib import Path

import pytest

from frontline.cases.models import Case
from frontline.core import clock
from frontline.customers import services as customers
from frontline.intake import services as intake
from frontline.intake.models import RawStatus, Source
from frontline.intake.tests import helpers

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "flanker"
EXPECTED = {
    name: want for name, want in json.loads((DATA / "expected.json").read_text()).items() if name[0] != "_"
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_message_has_the_outcome_written_beside_it(name):
    want = EXPECTED[name]
    attempts = {}
    if "report" in want:  # given we sent the message the notice returns, to each recipient it names
        customer = customers.create_customer(name="Bounce Test Ltd", customer_since=clock.now().date())
        recipients = [r["recipient"] for r in want["report"]]
        attempts = helpers.sent_to(customer, recipients, want.get("about", ""))

    # when the message arrives by SMTP
    row = intake.receive((DATA / name).read_bytes(), source=Source.SMTP)

    # then it has the outcome expected of it
    if "case" in want:
        assert row.status == RawStatus.PROCESSED, row.reason
        message = row.message
        assert (message.sender, message.author_person.name) == (
            want["case"]["sender"],
            want["case"]["name"] or want["case"]["sender"],
        )
        assert want["case"].get("text_has", "") in message.body_text
        return
    assert not Case.objects.exists(), row.reason
    if "report" in want:
        assert row.status == RawStatus.REPORT, row.reason
        for expected in want["report"]:
            attempt = attempts[expected["recipient"]]
            attempt.refresh_from_db()
            attempt.contact_point.refresh_from_db()
            assert attempt.status == expected["outcome"], attempt.report_status
            assert (attempt.contact_point.state == "failing") == expected["marks_failing"], (
                attempt.report_status
            )
    elif "automatic" in want:
        assert row.status == RawStatus.IGNORED and want["automatic"] in row.reason, row.reason
    elif "abuse" in want:
        assert row.status == RawStatus.POLICY and want["abuse"] in row.reason, row.reason
    else:
        assert row.status == RawStatus.QUARANTINED and want["quarantined"] in row.reason, row.reason


def test_every_file_of_the_corpus_is_judged():
    assert set(EXPECTED) == {path.name for path in DATA.glob("*.eml")} and len(EXPECTED) == 34
