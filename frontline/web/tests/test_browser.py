"""The workspace in a real browser: Debian's Chromium, driven by Playwright, against a live server.

An agent signs in, opens the most urgent case with the keyboard alone, takes it, replies, and finds the
case again through the htmx search. A visitor chats in the widget and sees the agent's answer arrive by
polling. (`make test` installs Chromium from Debian's packages when missing.)
"""

import re

import pytest
from playwright.sync_api import expect

from frontline.cases import services
from frontline.cases.models import Case
from frontline.events.models import Event, EventKind


@pytest.fixture
def page(chromium):
    return chromium()


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_an_agent_works_the_most_urgent_case_from_the_keyboard(page, live_server, tom, sam, sam_person, blog):
    # given Sam's blog is down, and a question from long ago waits too
    services.open_case(
        customer=sam, requester=sam_person, subject="Invoice question", body="About VAT", channel="email"
    )
    down = services.open_case(
        customer=sam,
        requester=sam_person,
        subject="walkerblog.example is down",
        body="503 for every page",
        channel="monitoring",
        impact="down",
        units=[blog],
    )
    # when Tom signs in
    page.goto(live_server.url + "/")
    page.fill("#id_username", "tom")
    page.fill("#id_password", "pw-tom-123")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Open cases, most urgent first")
    # and opens the first case with j, Enter
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("walkerblog.example is down")
    # and sees why it is first, its clocks, and that no router chose its owner
    expect(page.locator("#priority-explanation")).to_contain_text("impact: down")
    expect(page.locator("#clocks")).to_contain_text("first response: running")
    expect(page.locator("#routing")).to_contain_text("Not routed by the router")
    # and takes it with t, then replies after r
    page.keyboard.press("t")
    expect(page.locator("[role=status]")).to_contain_text("Assigned to Tom Becker")
    page.keyboard.press("r")
    page.keyboard.type("Looking at web-07 now.")
    page.click("text=Send reply")
    expect(page.locator("[role=status]")).to_contain_text("Reply sent to Sam@WalkerBlog.example")
    expect(page.locator(".timeline")).to_contain_text("Looking at web-07 now.")
    # and finds the other case through the search, which htmx applies without a full page load
    page.goto(live_server.url + "/")
    page.keyboard.press("/")
    page.keyboard.type("VAT")
    page.keyboard.press("Enter")
    expect(page.locator("#rows tr")).to_have_count(1)
    expect(page.locator("#rows")).to_contain_text("Invoice question")
    assert "q=VAT" in page.url
    # then the case is Tom's, and the reply is in its history
    down = Case.objects.get(pk=down.pk)
    assert down.assignee == tom and down.status == "open"
    assert Event.objects.filter(case=down, kind=EventKind.REPLY_SENT).exists()


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_a_visitor_chats_in_the_widget_and_sees_the_agents_answer_arrive(page, live_server, tom, sam):
    # given the chat widget, embedded anywhere
    page.goto(live_server.url + "/chat/")
    # when Sam starts a chat
    page.fill("input[name=name]", "Sam Walker")
    page.fill("input[name=email]", "sam@walkerblog.example")
    page.fill("#chat-start textarea[name=body]", "Is web-07 down? My blog answers 503.")
    page.click("#chat-start button[type=submit]")
    # then the case reference shows and the line is there
    expect(page.locator("#chat-case")).to_have_text(re.compile(r"C-\d+"))
    expect(page.locator("#chat-lines li")).to_have_count(1)
    case = Case.objects.get(pk=int(page.locator("#chat-case").inner_text()[2:]))
    assert case.customer == sam
    # when Tom answers on the case, the widget shows it by polling
    services.reply_to_case(case, by=tom, body="Yes: we are restarting web-07 now.")
    expect(page.locator("#chat-lines li").last).to_have_text("Tom Becker: Yes: we are restarting web-07 now.")
    # and Sam's next line goes onto the same case
    page.fill("#chat-send textarea[name=body]", "Thanks, it is back.")
    page.click("#chat-send button[type=submit]")
    expect(page.locator("#chat-lines li")).to_have_count(3)
    assert case.messages.filter(channel="chat", direction="in").count() == 2
