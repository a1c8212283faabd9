"""Changes and deploys recorded by a provider's CI through `POST /api/v1/changes`: kept as sent, resolved to
the inventory, recorded once per external id, refused with a 4xx that says why."""

import json

import pytest

from frontline.agents import services as agents
from frontline.agents.models import Role
from frontline.monitoring import services as monitoring
from frontline.monitoring.models import Change

pytestmark = pytest.mark.django_db


@pytest.fixture
def ci(client):
    bot = agents.create_agent(
        username="ci", display_name="Deploy pipeline", email="", password=None, role=Role.INTEGRATION
    )
    token = agents.issue_api_token(bot, "deploys")[1]

    def post(path, body):
        return client.post(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return post


@pytest.fixture
def relay(relay_clients):
    return monitoring.add_component(name="smtp-2", kind="relay", group="Mail")


CHANGE = {
    "kind": "configuration",
    "summary": "Relay access list regenerated",
    "targets": ["smtp-2", "office@client1.example", "nowhere-9"],
    "changed_by": "deploy-bot",
    "tool": "ansible",
    "started_at": "2026-12-01T09:40:00Z",
    "external_id": "pipeline-8812",
}


def test_a_change_is_recorded_against_the_inventory_and_a_retry_records_it_once(ci, relay):
    first = ci("/changes", CHANGE)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["components"] == ["smtp-2"] and body["units"] == 1
    assert body["unmatched"] == ["nowhere-9"]  # kept as written, said back
    again = ci("/changes", CHANGE)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Change.objects.count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"targets": []}, "targets"),
        ({"changed_by": " "}, "changed_by"),
        ({"finished_at": "2026-12-01T09:00:00Z"}, "finished_at"),
        ({"kind": "magic"}, None),
    ],
)
def test_a_change_that_cannot_be_read_is_refused_with_why(ci, relay, change, field):
    refused = ci("/changes", {**CHANGE, **change})
    assert refused.status_code in (400, 422)
    if field:
        assert refused.json()["field"] == field
    assert not Change.objects.exists()


def test_a_second_component_of_the_same_name_is_a_conflict_not_an_error(ci, relay):
    answer = ci("/monitoring/components", {"name": "smtp-2", "kind": "relay", "group": "Mail"})
    assert answer.status_code == 409 and "already a component named" in answer.json()["detail"]
    assert monitoring.Component.objects.filter(name="smtp-2").count() == 1


def test_a_moment_with_any_offset_iso_allows_is_kept_in_utc_and_one_past_year_9999_is_refused(ci, relay):
    # given times with offsets beyond the sixteen hours PostgreSQL takes, which ISO 8601 allows
    far_west = {"started_at": "2026-12-01T09:40:00-21:37", "finished_at": "2026-12-03T09:00:00+23:00"}
    # when a change is recorded with them, then they are kept as the same moments, in UTC
    kept = ci("/changes", {**CHANGE, **far_west})
    assert kept.status_code == 201, kept.content
    change = Change.objects.get()
    assert change.started_at.isoformat() == "2026-12-02T07:17:00+00:00"
    assert change.finished_at.isoformat() == "2026-12-02T10:00:00+00:00"
    # and a moment that would be past year 9999 in UTC is a 422 that names its field, not an error
    refused = ci("/changes", {**CHANGE, "external_id": "x", "finished_at": "9999-12-31T23:00:00-05:00"})
    assert refused.status_code == 422 and "finished_at" in refused.content.decode()
