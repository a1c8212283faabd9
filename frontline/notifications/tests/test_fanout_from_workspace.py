"""A lead tells the customers behind chosen cases or units from the pages; each case it covers shows it."""

import pytest
from playwright.sync_api import expect

from frontline.cases import services as cases
from frontline.customers import services as customers
from frontline.notifications.models import FanOut, Notification


@pytest.fixture
def web07(sam, sam_person, blog):
    """Sam's blog and a second customer's shop run on web-07; Sam has an open case about his blog."""
    shop = customers.create_customer(name="Lindqvist Shop")
    customers.add_unit(shop, kind="site", name="lindqvist.example", hostname="web-07")
    owner = customers.add_person(shop, name="Eva Lindqvist")
    customers.add_contact_point(person=owner, kind="email", value="eva@lindqvist.example")
    case = cases.open_case(
        customer=sam, requester=sam_person, subject="Blog slow", body="slow", channel="email", units=[blog]
    )
    return {"shop": shop, "case": case}


@pytest.mark.django_db
def test_only_a_lead_starts_a_notice_to_many_and_unknown_choices_are_named(signed_in, client, priya, web07):
    # an agent may not tell many customers at once
    assert signed_in.get("/notify/fanouts/new").status_code == 403
    client.force_login(priya.user)
    # a case or unit that does not exist is named in the refusal, and nothing starts
    answer = client.post(
        "/notify/fanouts/new",
        {"cases": "C-999999", "units": "", "title": "t", "body": "b", "urgency": "routine"},
    )
    assert answer.status_code == 400 and "no case C-999999" in answer.content.decode()
    answer = client.post("/notify/fanouts/new", {"units": "host:web-99", "title": "t", "body": "b"})
    assert answer.status_code == 400 and "no service unit runs on web-99" in answer.content.decode()
    assert not FanOut.objects.exists()


@pytest.mark.django_db
def test_the_api_takes_case_references_and_the_case_shows_the_notice(client, priya, web07, sam):
    client.force_login(priya.user)
    answer = client.post(
        "/api/v1/notifications/fanouts",
        {
            "subject_kind": "incident",
            "subject_id": "INC-9",
            "title": "web-07 is slow",
            "body": "We are moving sites off web-07 tonight.",
            "case_refs": [web07["case"].ref],
            "unit_ids": [web07["shop"].units.get().pk],
        },
        content_type="application/json",
    )
    assert answer.status_code == 201 and answer.json()["total"] == 2
    fanout = FanOut.objects.get()
    assert list(fanout.cases.all()) == [web07["case"]]
    assert sorted(Notification.objects.values_list("customer_id", flat=True)) == sorted(
        [sam.pk, web07["shop"].pk]
    )


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_a_lead_notifies_everyone_on_a_server_from_a_case_and_the_case_shows_it(
    chromium, live_server, priya, web07, smtp_server
):
    page = chromium()
    case = web07["case"]
    page.goto(live_server.url + f"/cases/{case.ref}/")
    page.fill("#id_username", "priya")
    page.fill("#id_password", "pw-priya-123")
    page.click("button[type=submit]")
    # when Priya, on Sam's case, starts a notice to the customers of this case and its units
    page.click("text=Notify the customers of this case and its units")
    expect(page.locator("textarea[name=cases]")).to_have_value(case.ref)
    # and widens it to every unit on web-07
    page.fill("textarea[name=units]", "host:web-07")
    page.fill("input[name=title]", "web-07 is slow")
    page.fill("textarea[name=body]", "Sites on web-07 load slowly; we are moving them to web-09 tonight.")
    page.click("text=Start notifying")
    # then the fan-out's page counts a notice for each of the two customers
    expect(page.locator("[role=status]")).to_contain_text("Started: 2 notices")
    expect(page.locator("h1")).to_contain_text("web-07 is slow")
    # and Sam's case shows the notice that covers it
    page.goto(live_server.url + f"/cases/{case.ref}/")
    expect(page.locator("#case-fanouts")).to_contain_text("web-07 is slow")
    expect(page.locator("#case-fanouts")).to_contain_text("2 notices")
