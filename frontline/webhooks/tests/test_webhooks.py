"""Outgoing webhooks against a real HTTP receiver on loopback: signed, recorded with the receiver's answer,
retried with backoff, paused with a to-do when the receiver keeps failing, resumed by a person."""

import datetime
import json

import pytest

from frontline.cases import services as cases
from frontline.core import clock
from frontline.notifications.transports import verify_signature
from frontline.tests.helpers import run_queued_jobs
from frontline.todos.models import ToDo
from frontline.webhooks import services
from frontline.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

NOON = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def hook(client, ada, receiver):
    """The provider's ticket bridge subscribes to new cases and status changes, through the API."""
    client.force_login(ada.user)
    made = client.post(
        "/api/v1/webhooks",
        json.dumps(
            {"name": "bridge", "url": f"{receiver.url}/hook", "kinds": ["case.opened", "case.status_changed"]}
        ),
        content_type="application/json",
    )
    assert made.status_code == 201
    return made.json()


def _open(sam, sam_person, at=NOON):
    with clock.frozen_at(at):
        return cases.open_case(
            customer=sam, requester=sam_person, subject="Down", body="down", channel="email"
        )


def test_a_subscribed_event_reaches_the_receiver_signed_and_is_recorded(
    hook, receiver, sam, sam_person, client
):
    case = _open(sam, sam_person)
    run_queued_jobs()
    [got] = receiver.to("/hook")
    # then the receiver got the event, signed with the subscription's secret, once per delivery key
    assert got.json["kind"] == "case.opened" and got.json["case"] == case.ref
    stamp, signature = got.headers["X-Frontline-Timestamp"], got.headers["X-Frontline-Signature"]
    assert verify_signature(hook["secret"], timestamp=stamp, body=got.body, signature=signature)
    assert got.headers["Idempotency-Key"].startswith("frontline-webhook-")
    # and the delivery is recorded with the receiver's answer (a message received is not subscribed)
    [delivery] = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()
    assert delivery["state"] == "delivered" and delivery["attempts"][0]["status_code"] == 200
    assert '"ok": true' in delivery["attempts"][0]["answer"]


def test_a_failing_receiver_is_retried_with_backoff_then_paused_with_a_to_do_and_resumed(
    hook, receiver, sam, sam_person, client, ada, settings
):
    settings.FRONTLINE_WEBHOOK_PAUSE_AFTER = 3
    receiver.answers["/hook"] = (503, 0.0)
    _open(sam, sam_person)
    run_queued_jobs()
    delivery = WebhookDelivery.objects.get()
    # the first try failed: recorded with the 503, due again a minute later
    assert delivery.tries == 1 and delivery.state == "pending"
    assert delivery.attempts.get().status_code == 503
    # when the retries fall due and fail twice more, the receiver is paused, with a to-do, and what is new
    # is held rather than sent
    for minutes in (1, 6):
        with clock.frozen_at(clock.now() + datetime.timedelta(minutes=minutes, seconds=5)):
            services.deliver_due()
    delivery.refresh_from_db()
    assert delivery.tries == 3 and delivery.state == "held"
    todo = ToDo.objects.get(kind="fix_webhook")
    assert "bridge" in todo.title and "3 tries in a row failed" in todo.detail
    assert len(receiver.to("/hook")) == 3
    # when the receiver is fixed and Ada resumes it, the held delivery is sent and the to-do is done
    receiver.answers.clear()
    resumed = client.post(f"/api/v1/webhooks/{hook['id']}/resume")
    assert resumed.status_code == 200 and resumed.json()["paused_at"] is None
    run_queued_jobs()
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and len(receiver.to("/hook")) == 4
    todo.refresh_from_db()
    assert todo.status == "done"


def test_only_admins_subscribe_and_unknown_kinds_are_named(signed_in, ada, client):
    assert signed_in.get("/api/v1/webhooks").status_code == 403
    client.force_login(ada.user)
    refused = client.post(
        "/api/v1/webhooks",
        json.dumps({"name": "x", "url": "http://127.0.0.1:9/", "kinds": ["case.deleted"]}),
        content_type="application/json",
    )
    assert refused.status_code == 400 and "not case.deleted" in refused.json()["detail"]
