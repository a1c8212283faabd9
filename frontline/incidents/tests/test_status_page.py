"""The public status page and its feeds: components and uptime from state history, incidents and
maintenance, nothing of any customer; ETag and 304; subscriptions confirmed by a link, one-click out."""

import datetime

from django.core.cache import cache

from frontline.core import clock
from frontline.incidents import services, statuspage, subscriptions
from frontline.incidents.models import Subscription
from frontline.monitoring import services as monitoring

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def test_the_page_shows_components_incidents_and_no_customer(client, okafor, priya):
    cache.clear()
    incident = services.open_incident(
        title="Outgoing mail delayed", components=[okafor["relay"]], body="We are looking into it.", by=priya
    )
    page = client.get("/status/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "smtp-2" in text and "Outgoing mail delayed" in text and "We are looking into it." in text
    assert f"incident-{incident.pk}" in text
    for customer in okafor["clients"]:
        assert customer.name not in text
    assert "Renee" not in text and "owner@client" not in text


def test_a_repeat_visit_with_its_etag_gets_304_and_an_update_changes_it(client, okafor, priya):
    cache.clear()
    first = client.get("/status/feed.atom")
    assert first.status_code == 200 and first["Content-Type"].startswith("application/atom+xml")
    again = client.get("/status/feed.atom", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    incident = services.open_incident(title="Relay down", components=[okafor["relay"]], by=priya)
    services.post_update(incident, state="identified", body="A bad configuration push.", by=priya)
    cache.delete_many(statuspage.KEYS)  # what the update's commit does
    after = client.get("/status/feed.atom", headers={"If-None-Match": first["ETag"]})
    assert after.status_code == 200 and b"A bad configuration push." in after.content
    for feed in ("rss", "json"):
        answer = client.get(f"/status/feed.{feed}")
        assert answer.status_code == 200 and b"Relay down" in answer.content and answer["ETag"]


def test_uptime_bars_come_from_the_state_history(db):
    web = monitoring.add_component(name="web-01", kind="server", group="Web hosting")
    with clock.frozen_at(NOW - datetime.timedelta(days=1, hours=12)):
        monitoring.set_component_health(web, "down", reason="test")
    with clock.frozen_at(NOW - datetime.timedelta(days=1, hours=6)):
        monitoring.set_component_health(web, "ok", reason="test")
    bars = statuspage.uptime([web], NOW)[web.pk]
    assert len(bars) == 90
    yesterday = bars[-2]
    assert yesterday["state"] == "down" and abs(yesterday["up"] - 0.75) < 1e-6
    assert bars[-1]["up"] == 1.0 and bars[0]["up"] == 1.0


def test_subscribing_answers_alike_and_sends_nothing_until_confirmed(db, client, smtp_server):
    for _ in range(2):
        answer = client.post("/status/subscribe", {"kind": "email", "address": "Fan@Example.com"})
        assert answer.status_code == 200 and b"confirmation link is on its way" in answer.content
    subscription = Subscription.objects.get()
    assert subscription.address == "fan@example.com" and not subscription.active
    assert len(smtp_server.envelopes) == 2
    # the link's page changes nothing on a GET; its button confirms
    token = subscriptions.confirm_link(subscription).rstrip("/").split("/")[-1]
    assert client.get(f"/status/subscriptions/confirm/{token}/").status_code == 200
    subscription.refresh_from_db()
    assert not subscription.active
    client.post(f"/status/subscriptions/confirm/{token}/")
    subscription.refresh_from_db()
    assert subscription.active
    # once following, asking again sends nothing and answers the same
    again = client.post("/status/subscribe", {"kind": "email", "address": "fan@example.com"})
    assert b"confirmation link is on its way" in again.content and len(smtp_server.envelopes) == 2


def test_followers_get_updates_with_one_click_unsubscribe(client, okafor, priya, smtp_server):
    from django.test import Client

    subscription = Subscription.objects.create(
        kind="email", address="fan@example.com", created_at=clock.now()
    )
    subscriptions.confirm(subscription)
    incident = services.open_incident(title="Relay down", components=[okafor["relay"]], by=priya)
    update = services.post_update(incident, state="identified", body="A bad configuration push.", by=priya)
    from frontline.incidents import followers

    assert followers.tell("update", update.pk) == 1
    mail = [m for m in smtp_server.messages() if m["To"] == "fan@example.com"][-1]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip("<>")
    # RFC 8058: the mail client posts without a session or a CSRF token
    browserless = Client(enforce_csrf_checks=True)
    answer = browserless.post(
        link.split("://", 1)[1].split("/", 1)[1].join(["/", ""]), {"List-Unsubscribe": "One-Click"}
    )
    assert answer.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    assert followers.tell("update", update.pk) == 0


def test_a_subscription_to_one_component_hears_only_about_it(okafor, priya, smtp_server):
    from frontline.incidents import followers
    from frontline.monitoring.models import Component

    other = Component.objects.get(name="smtp-1")
    subscriptions.subscribe(kind="email", address="fan@example.com", component_ids=[str(other.pk)])
    subscriptions.confirm(Subscription.objects.get())
    incident = services.open_incident(title="Relay down", components=[okafor["relay"]], by=priya)
    update = services.post_update(incident, state="identified", body="smtp-2 only.", by=priya)
    assert followers.tell("update", update.pk) == 0
    elsewhere = services.open_incident(title="smtp-1 slow", components=[other], by=priya)
    assert (
        followers.tell("update", services.post_update(elsewhere, state="identified", body="x", by=priya).pk)
        == 1
    )


def test_a_webhook_subscription_into_our_own_network_is_refused(db):
    import pytest

    from frontline.core.errors import ServiceError

    for address in (
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/",
    ):
        with pytest.raises(ServiceError, match="public https"):
            subscriptions.subscribe(kind="webhook", address=address)
    with pytest.raises(ServiceError, match="not a valid webhook"):
        subscriptions.subscribe(kind="webhook", address="http://example.com/hook")
    assert not Subscription.objects.exists()


def test_followers_webhooks_are_signed_and_their_answer_recorded(okafor, priya, receiver, settings):
    import hashlib
    import hmac

    from frontline.delivery.models import DeliveryAttempt
    from frontline.incidents import followers

    settings.FRONTLINE_STATUS_WEBHOOKS_INWARD = True
    subscription = Subscription.objects.create(
        kind="webhook", address=f"{receiver.url}/status-hook", created_at=clock.now(), secret="s" * 32
    )
    subscriptions.confirm(subscription)
    incident = services.open_incident(title="Relay down", components=[okafor["relay"]], by=priya)
    update = services.post_update(incident, state="identified", body="A bad push.", by=priya)
    assert followers.tell("update", update.pk) == 1
    [call] = receiver.to("/status-hook")
    stamp = call.headers["X-Frontline-Timestamp"]
    expected = hmac.new(b"s" * 32, f"{stamp}.".encode() + call.body, hashlib.sha256).hexdigest()
    assert call.headers["X-Frontline-Signature"] == f"sha256={expected}"
    assert call.json["state"] == "identified" and "unsubscribe_url" in call.json
    assert DeliveryAttempt.objects.get(channel="webhook").status == "accepted"


def test_a_webhook_subscription_is_confirmed_by_a_link_posted_to_it_with_its_secret(db, receiver, settings):
    settings.FRONTLINE_STATUS_WEBHOOKS_INWARD = True
    settings.FRONTLINE_STATUS_WEBHOOKS_HTTP = True
    subscriptions.subscribe(kind="webhook", address=f"{receiver.url}/hook")
    [call] = receiver.to("/hook")
    subscription = Subscription.objects.get()
    assert call.json["type"] == "confirm" and call.json["secret"] == subscription.secret
    assert "/status/subscriptions/confirm/" in call.json["confirm_url"] and not subscription.active
