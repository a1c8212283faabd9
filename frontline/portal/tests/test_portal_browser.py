"""The portal in Debian's Chromium: a customer signs in with the emailed link using the keyboard alone, and
every portal and public page passes axe-core without a serious or critical finding, at a phone's 360 px
width without sideways scrolling, and on a laptop."""

import re

import pytest
from playwright.sync_api import expect

from frontline.cases import confirmation
from frontline.cases import services as cases
from frontline.incidents import running
from frontline.notifications import services as notifications
from frontline.tests.browser import LAPTOP, PHONE, fits_the_screen, keep, serious_violations

pytestmark = [pytest.mark.subprocess, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sams_world(sam, sam_person, blog, tom, priya, contained_site):
    """Sam with something on each page: an open case, a fix to confirm, a held site, an incident, a notice."""
    open_case = cases.open_case(
        customer=sam, requester=sam_person, subject="Blog slow", body="pages take 9 s", channel="email"
    )
    cases.reply_to_case(open_case, by=tom, body="Looking at the database now.")
    fixed = cases.open_case(
        customer=sam, requester=sam_person, subject="Mailbox full", body="bounces", channel="email"
    )
    cases.change_status(fixed, status="resolved", by=tom, resolution_notes="Raised the quota to 5 GB")
    incident = running.open_incident(title="web-07 slow", units=[blog], by=priya, label="Priya")
    running.post_update(incident, state="identified", body="A runaway backup job", by=priya)
    notice = notifications.notify(
        sam, subject_kind="case", subject_id=fixed.ref, title="Is it fixed?", body="b", case=fixed
    )
    return {"open": open_case, "fixed": fixed, "notice": notice}


def test_a_customer_signs_in_from_the_keyboard_and_every_page_is_accessible(
    chromium, live_server, sams_world, mailoutbox
):
    page = chromium(PHONE)
    # given Sam asks for a sign-in link, by keyboard alone
    page.goto(live_server.url + "/portal/sign-in/")
    assert serious_violations(page) == []
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.locator(".skip")).to_be_focused()
    page.focus("#email")
    page.keyboard.type("sam@walkerblog.example")
    page.keyboard.press("Enter")
    expect(page.locator("[role=status]")).to_contain_text("a sign-in link is on its way")
    # when he opens the link and presses its button
    link = re.search(r"http://\S+/portal/sign-in/\S+/", mailoutbox[-1].body).group(0)
    page.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    assert serious_violations(page) == []
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.locator("main button[type=submit]").focus()
    page.keyboard.press("Enter")
    # then he is in, and each page of his portal passes axe and fits a phone
    expect(page.locator("h1")).to_have_text("My problems")
    pages = {
        "problems": "/portal/",
        "case": f"/portal/cases/{sams_world['fixed'].ref}/",
        "services": "/portal/services/",
        "incidents": "/portal/incidents/",
        "contacts": "/portal/contacts/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        assert serious_violations(page) == [], name
        assert fits_the_screen(page), f"{name} scrolls sideways at 360 px"
        keep(page, "portal", f"{name}-phone")
    laptop = chromium(LAPTOP)
    laptop.context.add_cookies(page.context.cookies())
    for name, path in pages.items():
        laptop.goto(live_server.url + path)
        assert serious_violations(laptop) == [], name
        keep(laptop, "portal", name)


def test_the_public_pages_a_customer_lands_on_are_accessible(chromium, live_server, sams_world):
    page = chromium(PHONE)
    fixed = sams_world["fixed"]
    ack = notifications.ack_link(sams_world["notice"]).replace("http://127.0.0.1:8000", live_server.url)
    confirm = confirmation.confirm_link(fixed).replace("http://127.0.0.1:8000", live_server.url)
    for name, url in {
        "acknowledge": ack,
        "confirm": confirm,
        "status": live_server.url + "/status/",
        "contact-form": live_server.url + "/contact/",
        "chat": live_server.url + "/chat/",
    }.items():
        page.goto(url)
        assert serious_violations(page) == [], name
        assert fits_the_screen(page), f"{name} scrolls sideways at 360 px"
        keep(page, "public", name)
    # and the acknowledgement page leads into the portal, let in for that case alone
    page.goto(ack)
    page.click("#portal-link")
    expect(page.locator("h1")).to_have_text("Mailbox full")
    expect(page.locator("#case-state")).to_have_text("fixed: please confirm")
