"""Trust boundaries at the API: the actor is who authenticated, an agent cannot take another's case, and what
a client can send answers 4xx with a message, never 500. Each test failed on the main before the fix."""

import json

import pytest
from django.core import signing

from frontline.agents.services import issue_api_token
from frontline.cases import services as cases
from frontline.events.models import Event, EventKind
from frontline.notifications import services as notifications
from frontline.notifications.services import ACK_SALT

pytestmark = pytest.mark.django_db


def _as(client, agent):
    token = issue_api_token(agent, name="integration")[1]

    def call(method, path, body=None):
        return getattr(client, method)(
            f"/api/v1{path}",
            json.dumps(body) if body is not None else None,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return call


@pytest.fixture
def blog_case(sam, sam_person):
    return cases.open_case(
        customer=sam, requester=sam_person, channel="email", subject="Blog down", body="It answers 503."
    )


def test_a_message_posted_with_someone_elses_agent_id_is_refused_and_acts_for_nobody(client, tom, ada, sam):
    # given Tom's token, when he posts a customer's message naming the admin as the actor
    answer = _as(client, tom)(
        "post", "/messages", {"customer_id": sam.pk, "body": "Phoned in: blog down", "agent_id": ada.pk}
    )
    # then the field is refused by name (the message kept as sent), and nothing is recorded in Ada's name
    assert answer.status_code == 400 and answer.json()["detail"] == "unknown fields: agent_id"
    assert not Event.objects.filter(kind=EventKind.MESSAGE_RECEIVED).exists()
    # and without it, the audit trail names Tom, who authenticated
    answer = _as(client, tom)("post", "/messages", {"customer_id": sam.pk, "body": "Phoned in: blog down"})
    assert answer.status_code == 201
    received = Event.objects.filter(kind=EventKind.MESSAGE_RECEIVED).get()
    assert received.actor_id == tom.pk


def test_an_agent_cannot_take_a_case_another_agent_owns(client, tom, priya, blog_case):
    cases.assign_case(blog_case, assignee=priya, by=priya)
    # when Tom assigns Priya's case to himself
    answer = _as(client, tom)("post", f"/cases/{blog_case.ref}/assign", {"assignee_id": tom.pk})
    # then he is refused with the rule, and Priya still owns it
    assert answer.status_code == 403 and "team lead" in answer.json()["detail"]
    blog_case.refresh_from_db()
    assert blog_case.assignee_id == priya.pk
    # an unowned case he may still take, and his own he may let go
    cases.assign_case(blog_case, assignee=None, by=priya)
    assert (
        _as(client, tom)("post", f"/cases/{blog_case.ref}/assign", {"assignee_id": tom.pk}).status_code == 200
    )


@pytest.mark.parametrize("payload", [{"notes": None}, {"name": None}, {"plan": None}])
def test_patching_a_customer_with_null_is_a_400_with_the_field(client, tom, sam, payload):
    answer = _as(client, tom)("patch", f"/customers/{sam.pk}", payload)
    assert answer.status_code in (400, 422)
    assert next(iter(payload)) in json.dumps(answer.json())


@pytest.mark.parametrize("ids", [[99999999], [2**70], [0]])
def test_a_fan_out_to_customers_that_do_not_exist_is_refused_with_a_message(client, priya, sam, ids):
    answer = _as(client, priya)(
        "post",
        "/notifications/fanouts",
        {"subject_kind": "incident", "subject_id": "INC-1", "title": "t", "body": "b", "customer_ids": ids},
    )
    assert answer.status_code in (400, 422) and answer.json()["detail"]


def test_a_signed_acknowledgement_token_whose_id_is_not_a_number_is_not_valid(client):
    for value in ({"n": "abc"}, {"n": 2**70}, ["n", 1], {"n": None}):
        token = signing.dumps(value, salt=ACK_SALT, compress=True)
        answer = client.get(f"/notify/ack/{token}/")
        assert answer.status_code == 400 and b"not valid" in answer.content


def test_a_signed_confirmation_token_whose_id_is_not_a_number_is_not_valid(client):
    from frontline.intake.public import CHAT_CONFIRM_SALT, CONFIRM_SALT

    for path, salt, key in (("contact", CONFIRM_SALT, "raw"), ("chat", CHAT_CONFIRM_SALT, "chat")):
        for value in ({key: "abc"}, {key: 2**70}, [key]):
            answer = client.post(f"/{path}/confirm/{signing.dumps(value, salt=salt)}/")
            assert answer.status_code == 400 and b"not valid" in answer.content


def test_asking_for_a_verification_twice_in_one_second_sends_both(sam, smtp_server):
    from frontline.core import clock
    from frontline.customers import services as customers
    from frontline.notifications import verification

    point = customers.add_contact_point(customer=sam, kind="email", value="billing@walkerblog.example")
    with clock.frozen_at(clock.now()):
        first = verification.request_verification(point)
        second = verification.request_verification(point)
    assert first.pk != second.pk and {first.status, second.status} == {"accepted"}
    assert len(smtp_server.envelopes) == 2


def test_acknowledging_still_works_with_a_real_link(client, sam):
    notification = notifications.notify(
        sam, subject_kind="case", subject_id="C-1", title="Your blog", body="It is back."
    )
    token = notifications.ack_link(notification).rstrip("/").rsplit("/", 1)[1]
    assert client.post(f"/notify/ack/{token}/").status_code == 200
    notification.refresh_from_db()
    assert notification.acknowledged_at is not None
