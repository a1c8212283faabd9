"""What a stranger can send: bodies nested a thousand levels deep, huge chat lines, floods of chat, guessed
passwords and tokens, a forged X-Forwarded-For. Each gets a clear 4xx, never a 500 or a free pass."""

import json

import pytest
from django.test import Client

from frontline.agents.services import issue_api_token

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000
DEEP_WITH_NUL = '{"a": ' + "[" * 2000 + '"\\u0000"' + "]" * 2000 + "}"


@pytest.fixture
def anyone():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("body", [DEEP, DEEP_WITH_NUL])
@pytest.mark.parametrize(
    "path",
    ["/chat/start", "/api/v1/messages", "/api/v1/customers", "/api/v1/policy/rules", "/notify/sms-inbound"],
)
def test_json_nested_thousands_deep_is_a_400_on_every_path(anyone, settings, tom, path, body):
    settings.FRONTLINE_SMS_INBOUND_TOKEN = "sms-secret"
    token = issue_api_token(tom, "t")[1]
    answer = anyone.post(
        path,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_X_FRONTLINE_TOKEN="sms-secret",
    )
    assert answer.status_code == 400, answer.content[:200]


def test_a_deep_body_without_a_token_is_refused_before_anything_else(anyone):
    answer = anyone.post("/api/v1/customers", DEEP_WITH_NUL, content_type="application/json")
    assert answer.status_code in (400, 401)


def _start_chat(client, body="My blog is down", email="visitor@example.net"):
    return client.post(
        "/chat/start",
        json.dumps({"name": "V", "email": email, "body": body}),
        content_type="application/json",
    )


def test_a_chat_line_over_the_cap_is_refused_and_a_normal_one_goes_through(anyone, sam):
    started = _start_chat(anyone)
    assert started.status_code == 201
    token = started.json()["token"]
    huge = anyone.post(
        f"/chat/{token}/messages", json.dumps({"body": "x" * 2_500_000}), content_type="application/json"
    )
    assert huge.status_code == 400 and "larger than" in huge.json()["detail"]
    long = anyone.post(
        f"/chat/{token}/messages", json.dumps({"body": "y" * 30_000}), content_type="application/json"
    )
    assert long.status_code == 400 and "at most 20,000 characters" in long.json()["detail"]
    fine = anyone.post(
        f"/chat/{token}/messages", json.dumps({"body": "still down"}), content_type="application/json"
    )
    assert fine.status_code == 200


def test_chat_lines_are_limited_per_chat(anyone, settings, sam):
    settings.FRONTLINE_CHAT_RATE = 3
    token = _start_chat(anyone).json()["token"]
    answers = [
        anyone.post(
            f"/chat/{token}/messages", json.dumps({"body": f"line {n}"}), content_type="application/json"
        )
        for n in range(5)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert "too many" in answers[-1].json()["detail"]


def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy(anyone, settings, sam):
    settings.FRONTLINE_PUBLIC_RATE = 2
    # a client that rotates X-Forwarded-For itself still has one address
    codes = [
        _start_chat(anyone, email=f"v{n}@example.net", body="help").status_code
        for n in range(3)
        if anyone.defaults.update(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") or True
    ]
    assert codes == [201, 201, 429]
    # behind our own proxy, each visitor the proxy names counts for themselves
    settings.FRONTLINE_TRUSTED_PROXIES = ["127.0.0.0/8"]
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    codes = [
        proxy.post(
            "/chat/start",
            json.dumps({"name": "V", "email": f"w{n}@example.net", "body": "help"}),
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 201]


def test_wrong_passwords_lock_the_username_with_a_clear_message(anyone, settings, tom):
    settings.AXES_FAILURE_LIMIT = 5
    answers = [anyone.post("/login/", {"username": "tom", "password": f"guess-{n}"}) for n in range(6)]
    assert [a.status_code for a in answers[:4]] == [200] * 4  # the form again, with its error
    assert answers[-1].status_code == 429 and b"Too many failed sign-ins" in answers[-1].content
    # even the right password waits now, and so does the same username from elsewhere
    assert anyone.post("/login/", {"username": "tom", "password": "pw-tom-123"}).status_code == 429
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert elsewhere.post("/login/", {"username": "tom", "password": "pw-tom-123"}).status_code == 429


def test_guessing_bearer_tokens_is_throttled_per_address(anyone, settings, tom):
    settings.FRONTLINE_BAD_TOKEN_RATE = 5
    real = issue_api_token(tom, "real")[1]
    codes = [
        anyone.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer fl_guess{n}").status_code
        for n in range(7)
    ]
    assert codes == [401] * 5 + [429] * 2
    # from that address even a real token waits; from another it works
    assert anyone.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {real}").status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert other.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {real}").status_code == 200


def test_an_api_path_that_does_not_exist_answers_json(anyone, tom):
    token = issue_api_token(tom, "t")[1]
    answer = anyone.get("/api/v1/no-such-thing", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 404 and answer["Content-Type"] == "application/json"
    assert "openapi.json" in answer.json()["detail"]


def test_many_clients_cannot_flood_one_mailbox_with_confirmation_links(settings, mailoutbox, db):
    settings.FRONTLINE_LINKS_PER_ADDRESS = 3
    form = {"name": "X", "email": "victim@example.net", "subject": "s", "body": "b"}
    pages = [Client(REMOTE_ADDR=f"198.51.100.{n}").post("/contact/", form).content for n in range(5)]
    # the sender cannot tell (every page says: check your inbox), but the mailbox got three links
    assert len(set(pages)) == 1 and b"check your inbox" in pages[0].lower()
    assert len([m for m in mailoutbox if m.to == ["victim@example.net"]]) == 3
    from frontline.intake.models import RawMessage

    held = RawMessage.objects.filter(reason__startswith="no link sent").count()
    assert held == 2  # kept, with why no link went out
