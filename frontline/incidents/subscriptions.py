"""Following the status page by email or webhook, per component, without an account.

Subscribing mails (or posts) a confirmation link and answers alike whether or not the address was known;
nothing is sent to an address until its link's button was pressed. Every message carries a one-click
unsubscribe (RFC 8058: `List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`).
"""

import hashlib
import ipaddress
import json
import logging
import secrets
import socket
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction

from frontline.core import clock, links
from frontline.core.db import text_id
from frontline.core.errors import ServiceError
from frontline.core.ratelimit import hits
from frontline.core.texts import render_message
from frontline.delivery import services as delivery
from frontline.delivery.models import AttemptStatus, DeliveryAttempt
from frontline.incidents import events
from frontline.incidents.models import Subscription, SubscriptionKind
from frontline.monitoring.models import Component
from frontline.notifications.transports import Outgoing, TransportError, WebhookTransport

log = logging.getLogger(__name__)
CONFIRM_SALT = "frontline.status.confirm"
UNSUBSCRIBE_SALT = "frontline.status.unsubscribe"


def confirm_link(subscription: Subscription) -> str:
    return links.make_link("status/subscriptions/confirm", {"s": subscription.pk}, salt=CONFIRM_SALT)


def unsubscribe_link(subscription: Subscription) -> str:
    return links.make_link("status/unsubscribe", {"s": subscription.pk}, salt=UNSUBSCRIBE_SALT)


def subscription_for(token: str, *, unsubscribing: bool = False) -> Subscription:
    data = links.read_link(
        token,
        salt=UNSUBSCRIBE_SALT if unsubscribing else CONFIRM_SALT,
        max_age=timedelta(days=3650 if unsubscribing else 2),
        ids=("s",),
        expired="this link has expired: subscribe again",
    )
    found = Subscription.objects.filter(pk=data["s"]).first()
    if found is None:
        raise ServiceError(links.NOT_VALID, field="token")
    return found


def subscribe(*, kind: str, address: str, component_ids=()) -> None:
    """Always the same answer (None): whether the address was new, known or confirmed is nobody's business."""
    address = (address or "").strip()
    try:
        if kind == SubscriptionKind.EMAIL:
            EmailValidator()(address)
            address = address.lower()
        elif kind == SubscriptionKind.WEBHOOK:
            URLValidator(schemes=["https", "http"] if settings.FRONTLINE_STATUS_WEBHOOKS_HTTP else ["https"])(
                address
            )
            _refuse_inward(address)
        else:
            raise ServiceError("subscribe by email or webhook", field="kind")
    except ValidationError as exc:
        raise ServiceError(f"that is not a valid {kind} address", field="address") from exc
    components = list(
        Component.objects.filter(
            public=True, pk__in=[n for i in component_ids if (n := text_id(str(i))) is not None]
        )
    )
    with transaction.atomic():
        subscription, _ = Subscription.objects.get_or_create(
            kind=kind,
            address=address[:500],
            defaults={
                "created_at": clock.now(),
                "secret": secrets.token_hex(16) if kind == "webhook" else "",
            },
        )
        if subscription.unsubscribed_at is not None:
            subscription.unsubscribed_at, subscription.confirmed_at = None, None
            subscription.save(update_fields=["unsubscribed_at", "confirmed_at"])
        if not subscription.active:
            subscription.components.set(components)
            events.subscription_changed(subscription=subscription, change="asked")
    if subscription.active:
        return  # already following: nothing is sent, and the answer is the same
    if hits(f"rate:links-to:{address.lower()}", window_seconds=3600) > settings.FRONTLINE_LINKS_PER_ADDRESS:
        log.warning("no status confirmation sent to a subscription: its hourly limit is reached")
        return
    subject, body = render_message(
        "incidents/subscribe_confirm",
        link=confirm_link(subscription),
        provider=settings.FRONTLINE_PROVIDER_NAME,
    )
    _send(
        subscription,
        subject,
        body,
        {"type": "confirm", "confirm_url": confirm_link(subscription), "secret": subscription.secret},
    )


def _refuse_inward(url: str) -> None:
    """A stranger's webhook address must not make us post into our own network (loopback, private,
    link-local, reserved addresses): refused unless FRONTLINE_STATUS_WEBHOOKS_INWARD allows it (tests).
    Checked when subscribing and again before every post, since a name can be pointed elsewhere later."""
    if settings.FRONTLINE_STATUS_WEBHOOKS_INWARD:
        return
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)}
    except OSError as exc:
        raise ServiceError(f"{host!r} does not resolve", field="address") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global:
            raise ServiceError("a webhook must be a public https address", field="address")


def confirm(subscription: Subscription) -> Subscription:
    if subscription.confirmed_at is None or subscription.unsubscribed_at is not None:
        subscription.confirmed_at, subscription.unsubscribed_at = clock.now(), None
        subscription.save(update_fields=["confirmed_at", "unsubscribed_at"])
        events.subscription_changed(subscription=subscription, change="confirmed")
    return subscription


def unsubscribe(subscription: Subscription) -> Subscription:
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = clock.now()
        subscription.save(update_fields=["unsubscribed_at"])
        events.subscription_changed(subscription=subscription, change="unsubscribed")
    return subscription


def following(component_ids: list[int]) -> list[Subscription]:
    """Confirmed subscriptions that follow any of these components (one following none follows all)."""
    found = []
    for s in Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at=None).prefetch_related(
        "components"
    ):
        mine = {c.pk for c in s.components.all()}
        if not mine or mine & set(component_ids) or not component_ids:
            found.append(s)
    return found


def tell_followers(*, component_ids: list[int], subject: str, body: str, payload: dict) -> int:
    sent = 0
    for subscription in following(component_ids):
        _send(subscription, subject, body, payload)
        sent += 1
    return sent


def _send(subscription: Subscription, subject: str, body: str, payload: dict) -> None:
    unsubscribe = unsubscribe_link(subscription)
    if subscription.kind == SubscriptionKind.EMAIL:
        delivery.send_email(
            subject=subject,
            body=f"{body}\n\nUnsubscribe: {unsubscribe}",
            from_email=settings.DEFAULT_FROM_EMAIL,
            address=subscription.address,
            headers={
                "Auto-Submitted": "auto-generated",
                "X-Frontline-Instance": settings.FRONTLINE_INSTANCE_ID,
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            message_id=delivery.new_message_id(),
        )
        return
    data = {**payload, "subject": subject, "text": body, "unsubscribe_url": unsubscribe}
    attempt = DeliveryAttempt.objects.create(
        channel="webhook", address=subscription.address[:255], attempted_at=clock.now()
    )
    try:
        _refuse_inward(subscription.address)
        # The customers' own webhook transport: the same signature, timeout and reading of the answer.
        answer = _FollowerWebhook(subscription, data).send(
            Outgoing(
                key=_key(subscription, data),
                address=subscription.address,
                title=subject,
                body=body,
                ack_url="",
            )
        )
    except ServiceError as exc:  # an address into our own network, refused before anything is sent
        attempt.status, attempt.reply_text = AttemptStatus.REFUSED, exc.message
    except TransportError as exc:  # a subscriber's server being down is theirs to fix: recorded, not raised
        attempt.status = AttemptStatus.REFUSED if exc.permanent else AttemptStatus.DEFERRED
        attempt.reply_code, attempt.reply_text = exc.code, str(exc)[:4000]
    else:
        attempt.status, attempt.reply_code, attempt.reply_text = (
            AttemptStatus.ACCEPTED,
            answer.code,
            answer.text,
        )
    attempt.answered_at = clock.now()
    attempt.save(update_fields=["status", "reply_code", "reply_text", "answered_at"])


class _FollowerWebhook(WebhookTransport):
    """A status follower's webhook: posted and signed as a customer's own is, with the follower's secret and
    the status page's own payload."""

    def __init__(self, subscription: Subscription, data: dict):
        super().__init__(url=subscription.address, secret=subscription.secret)
        self.data = data

    def payload(self, outgoing: Outgoing) -> dict:
        return self.data


def _key(subscription: Subscription, data: dict) -> str:
    """The same message to the same follower has the same idempotency key, however often it is sent."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]
    return f"status.{subscription.pk}.{digest}"
