"""Fixing a contact where the problem is shown: from its to-do, with why it fails beside the forms; the
customer page where people, contact points and memberships are edited; the same over the API."""

import datetime

import pytest
from playwright.sync_api import expect

from frontline.customers import services as customers
from frontline.customers.models import ContactPoint
from frontline.delivery.models import DeliveryAttempt
from frontline.delivery.services import condemn_contact
from frontline.events.models import Event
from frontline.todos.models import ToDo


@pytest.fixture
def failing(sam, sam_person, settings):
    """Sam's address bounced a notice with 5.1.1: it is failing, with a to-do to fix it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    point = sam_person.contacts.get(kind="email")
    attempt = DeliveryAttempt.objects.create(
        customer=sam,
        contact_point=point,
        channel="email",
        address=point.value,
        status="accepted",
        attempted_at=datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC),
        reply_code=250,
        reply_text="2.0.0 Ok: queued as TEST123",
    )
    condemn_contact(attempt, "5.1.1", "550 5.1.1 <sam@walkerblog.example>: user unknown")
    return point


def _sign_in(page, live_server):
    page.goto(live_server.url + "/todos/")
    page.fill("#id_username", "tom")
    page.fill("#id_password", "pw-tom-123")
    page.click("button[type=submit]")


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_an_agent_fixes_a_failing_contact_from_its_to_do(chromium, live_server, tom, failing):
    page = chromium()
    todo = ToDo.objects.get(contact_point=failing)
    # when Tom opens his to-do list and presses "Fix it"
    _sign_in(page, live_server)
    page.click(f"#fix-{todo.pk}")
    # then the contact's page shows why it fails: the server's words, beside the forms
    expect(page.locator("h1")).to_contain_text("Sam@WalkerBlog.example")
    expect(page.locator("#failure-reason")).to_contain_text("550 5.1.1")
    expect(page.locator("table.list")).to_contain_text("queued as TEST123")
    # when he corrects it to the address Sam gave on the phone
    page.fill("#correct-value", "sam.walker@walkerblog.example")
    page.click("button:text-is('Correct')")
    # then the new address is the one shown, asked to confirm, and the to-do is done
    expect(page.locator("[role=status]")).to_contain_text("sam.walker@walkerblog.example takes its place")
    expect(page.locator("h1")).to_contain_text("sam.walker@walkerblog.example")
    page.goto(live_server.url + "/todos/")
    expect(page.locator("table.list")).not_to_contain_text("Fix Sam@WalkerBlog.example")
    todo.refresh_from_db()
    assert todo.status == "done" and "replaced by sam.walker@walkerblog.example" in todo.outcome
    failing.refresh_from_db()
    assert failing.state == "retired"


@pytest.mark.django_db
def test_retiring_or_verifying_a_failing_contact_finishes_its_to_do(failing, sam_person, tom):
    customers.retire_contact_point(failing, by=tom, via="web")
    assert ToDo.objects.get(contact_point=failing).status == "done"


@pytest.mark.django_db
def test_the_customer_page_adds_people_and_contacts_and_changes_memberships(signed_in, sam, sam_person):
    # when Tom adds Sam's bookkeeper with an address, as billing contact
    signed_in.post(f"/customers/{sam.pk}/people", {"name": "Mia Berg", "role": "billing"})
    mia = sam.people.get(name="Mia Berg")
    signed_in.post(
        f"/customers/{sam.pk}/contacts", {"owner": str(mia.pk), "kind": "email", "value": "mia@berg.example"}
    )
    # then the page lists her with her address and role, and the address was asked to confirm
    page = signed_in.get(f"/customers/{sam.pk}/").content.decode()
    assert "Mia Berg" in page and "mia@berg.example" in page
    assert ContactPoint.objects.get(normalized="mia@berg.example").state == "unverified"
    # when she becomes the technical contact, and then no longer acts for the account
    signed_in.post(f"/customers/{sam.pk}/people/{mia.pk}/role", {"role": "technical"})
    assert mia.memberships.get().role == "technical"
    signed_in.post(f"/customers/{sam.pk}/people/{mia.pk}/unlink")
    assert not sam.people.filter(pk=mia.pk).exists()
    assert Event.objects.filter(customer=sam, kind="person.unlinked", data__person_id=mia.pk).exists()
    # but the account's last person cannot be removed: someone must be there to tell
    refused = signed_in.post(f"/customers/{sam.pk}/people/{sam_person.pk}/unlink")
    assert refused.status_code == 400 and "only person" in refused.content.decode()


@pytest.mark.django_db
def test_the_api_corrects_relabels_and_retires_contacts_and_links_a_person_to_another_account(
    signed_in, sam, sam_person, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    phone = sam_person.contacts.get(kind="phone")
    relabelled = signed_in.patch(
        f"/api/v1/contacts/{phone.pk}", {"label": "old mobile"}, content_type="application/json"
    )
    assert relabelled.status_code == 200 and relabelled.json()["label"] == "old mobile"
    corrected = signed_in.patch(
        f"/api/v1/contacts/{phone.pk}", {"value": "+44 7700 900999"}, content_type="application/json"
    )
    assert corrected.status_code == 200 and corrected.json()["id"] != phone.pk
    assert corrected.json()["state"] == "unverified"
    phone.refresh_from_db()
    assert phone.state == "retired"
    new = corrected.json()["id"]
    assert signed_in.post(f"/api/v1/contacts/{new}/retire").json()["state"] == "retired"
    # a person of Sam's acts for another account too
    other = customers.create_customer(name="Walker Photography")
    linked = signed_in.post(
        f"/api/v1/people/{sam_person.pk}/accounts",
        {"customer_id": other.pk, "role": "technical"},
        content_type="application/json",
    )
    assert linked.status_code == 201 and linked.json()["role"] == "technical"
    changed = signed_in.patch(
        f"/api/v1/customers/{other.pk}/people/{sam_person.pk}",
        {"role": "owner"},
        content_type="application/json",
    )
    assert changed.json()["role"] == "owner"
    assert signed_in.delete(f"/api/v1/customers/{other.pk}/people/{sam_person.pk}").status_code == 400
