"""The fan-out page in a real browser (Debian's Chromium): its counts move while it stays open."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from frontline.core import clock
from frontline.notifications import services
from frontline.notifications.models import Notification
from frontline.notifications.tests.helpers import tick
from frontline.notifications.tests.test_evidence_and_fanout import _customers
from frontline.web.tests.test_browser import page  # noqa: F401 (a fixture)


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_the_fan_out_page_counts_sends_and_acknowledgements_live(page, live_server, tom, smtp_server):  # noqa: F811
    # given a notice to three customers, one of whose address is refused
    people = _customers(3)
    smtp_server.refuse["ops2@example.com"] = "550 5.1.1 <ops2@example.com>: no such user"
    fanout = services.fan_out(
        subject_kind="maintenance",
        subject_id="MW-3",
        title="Maintenance on web-07",
        body="Tuesday 22:00 to 22:30 UTC.",
        urgency="routine",
        customers=people,
    )
    # and Tom watching its page before anything was sent
    page.goto(live_server.url + "/")
    page.fill("#id_username", "tom")
    page.fill("#id_password", "pw-tom-123")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/notify/fanouts/{fanout.pk}/")
    expect(page.locator("#count-sent")).to_have_text("0")
    # when the workers send the first rung, the page shows it without a reload
    tick(clock.now() + timedelta(seconds=1))
    expect(page.locator("#count-sent")).to_have_text("2")
    expect(page.locator("#count-failing")).to_have_text("1")
    expect(page.locator("#failures")).to_contain_text("ops2@example.com")
    expect(page.locator("#percent-started")).to_have_text("100.0")
    # and an acknowledgement moves its bar
    services.acknowledge(Notification.objects.filter(fanout=fanout).order_by("pk").first(), via="link")
    expect(page.locator("#count-acknowledged")).to_have_text("1")
    expect(page.locator("#percent-acknowledged")).to_have_text("33.3")
