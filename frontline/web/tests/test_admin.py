import pytest
from django.contrib import admin
from django.urls import reverse

from frontline.agents.services import issue_api_token
from frontline.cases import services
from frontline.customers.models import ContactState
from frontline.events.models import Event, EventKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, ada, sam, tom):
    services.open_case(customer=sam, subject="Blog down", body="503", channel="email")
    issue_api_token(tom, "integration")
    client.force_login(ada.user)
    return client


def test_every_model_has_a_working_list_search_and_detail_page(admin_client):
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = admin_client.get(reverse(f"{prefix}_changelist"), {"q": "a"})
        assert changelist.status_code == 200, model
        first = model.objects.first()
        if first is not None:
            assert admin_client.get(reverse(f"{prefix}_change", args=[first.pk])).status_code == 200, model


def test_evidence_cannot_be_changed_or_deleted_in_the_admin(admin_client):
    event = Event.objects.first()
    url = reverse("admin:events_event_change", args=[event.pk])
    admin_client.post(url, {"kind": "case.opened", "data": "{}"})
    assert (
        admin_client.post(reverse("admin:events_event_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Event.objects.filter(pk=event.pk, data=event.data).exists()


def test_an_admin_action_goes_through_the_service_and_leaves_its_event(admin_client, sam):
    point = sam.people.get().contacts.get(kind="phone")
    response = admin_client.post(
        reverse("admin:customers_contactpoint_changelist"),
        {"action": "mark_verified", "_selected_action": [point.pk]},
    )
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.state == ContactState.VERIFIED
    assert Event.objects.filter(kind=EventKind.CONTACT_VERIFIED, data__contact_id=point.pk).exists()


def test_editing_a_customer_in_the_admin_records_the_change(admin_client, sam):
    url = reverse("admin:customers_customer_change", args=[sam.pk])
    data = {
        "name": "Sam Walker",
        "plan": "business",
        "tier": "standard",
        "customer_since": "2009-04-02",
        "monthly_value": "25.00",
        "notes": "",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(sam.memberships.get().pk),
        "memberships-0-customer": str(sam.pk),
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    sam.refresh_from_db()
    assert sam.plan == "business"
    event = Event.objects.filter(kind=EventKind.CUSTOMER_UPDATED).get()
    assert event.data["after"]["plan"] == "business" and event.via == "admin"


def test_changing_an_agent_in_the_admin_records_the_change(admin_client, tom):
    url = reverse("admin:agents_agent_change", args=[tom.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {"display_name": "Tom Becker", "capacity": "12", "goodwill_allowance": "40.00", "team": tom.team_id}
    )
    data.update({"agentskill_set-TOTAL_FORMS": "1", "agentskill_set-INITIAL_FORMS": "1"})
    data.update({"agentskill_set-MIN_NUM_FORMS": "0", "agentskill_set-MAX_NUM_FORMS": "1000"})
    data.update(
        {"agentskill_set-0-id": str(tom.agentskill_set.get().pk), "agentskill_set-0-agent": str(tom.pk)}
    )
    data["is_available"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    tom.refresh_from_db()
    assert tom.capacity == 12 and str(tom.goodwill_allowance) == "40.00"
    event = Event.objects.get(kind="agent.changed", data__agent_id=tom.pk)
    assert event.data["after"] == {"capacity": "12", "goodwill_allowance": "40.00"}
