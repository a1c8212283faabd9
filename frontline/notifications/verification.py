"""Proving that a contact point reaches its owner, before the day we need it.

A new or changed address gets a confirm link by mail (the page behind it POSTs; a GET changes nothing);
a number gets a six-digit code by SMS, which the owner reads out to staff or types on the same page. A
webhook is verified by a signed test delivery its receiver accepts. Points verified long ago are asked
again by a periodic cycle. Every request is an attempt in the evidence log; a permanent failure marks
the point failing with a fix-it to-do, like any other send.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.core.links import make_link, read_link
from frontline.core.texts import render_message
from frontline.customers import services as customers
from frontline.customers.models import ContactKind, ContactPoint, ContactState
from frontline.delivery.models import AttemptStatus, DeliveryAttempt
from frontline.delivery.services import mail_domain
from frontline.notifications import events
from frontline.notifications.services import send_and_record
from frontline.notifications.transports import Outgoing, transport_for

VERIFY_SALT = "frontline.contact-verify"
LINK_MAX_AGE = timedelta(days=14)
CODE_MAX_AGE = timedelta(days=2)
# A point verified longer ago than this, with no delivery since, is asked to confirm again.
STALE_AFTER = timedelta(days=365)
ASK_AGAIN_AFTER = timedelta(days=30)  # and not more often than this

_CHANNEL = {ContactKind.EMAIL: "email", ContactKind.PHONE: "sms", ContactKind.WEBHOOK: "webhook"}


def verify_link(point: ContactPoint) -> str:
    # The value is in the token: a link for an address that has since changed confirms nothing.
    return make_link("notify/verify", {"c": point.pk, "v": point.normalized}, salt=VERIFY_SALT)


def verification_code(point: ContactPoint) -> str:
    """Six digits derived from the point and when we asked: nothing to store, void once asked again."""
    sent = point.verification_sent_at.isoformat() if point.verification_sent_at else ""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{point.pk}:{point.normalized}:{sent}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{int(digest[:12], 16) % 1_000_000:06d}"


def request_verification(point: ContactPoint, *, by=None, via: str = "") -> DeliveryAttempt | None:
    """Ask the owner to confirm. Answers the attempt recorded (None for a kind we cannot send to)."""
    channel = _CHANNEL.get(point.kind)
    if channel is None:
        return None
    now = clock.now()
    ContactPoint.objects.filter(pk=point.pk).update(verification_sent_at=now)
    point.verification_sent_at = now
    owner = customers.owner_account(point)
    link = verify_link(point)
    if channel == "sms":
        title, text = render_message("notifications/verify_sms", code=verification_code(point))
    else:
        title, text = render_message("notifications/verify_email", address=point.value, link=link)
    # Unique per request: asking twice in one second is two asks, each with its own evidence.
    key = f"verify.{point.pk}.{int(now.timestamp())}.{secrets.token_hex(4)}"
    outgoing = Outgoing(
        key=key,
        address=point.normalized,
        title=title,
        body=text,
        ack_url=link if channel != "sms" else "",
        message_id=f"<{key}@{mail_domain()}>",
        customer_name=owner.name if owner else "",
        secret=point.signing_secret,
    )
    attempt = DeliveryAttempt.objects.create(
        customer=owner,
        contact_point=point,
        channel=channel,
        address=point.value,
        idempotency_key=key,
        header_message_id=outgoing.message_id if channel == "email" else "",
        attempted_at=now,
    )
    transport = transport_for(channel)
    try:
        send_and_record(attempt, transport, outgoing)
    finally:
        transport.close()
    with transaction.atomic():
        events.verification_sent(customer=owner, point=point, attempt=attempt, by=by, via=via or channel)
        if attempt.status == AttemptStatus.ACCEPTED and channel == "webhook":
            # The receiver answered 2xx to a signed request: it is theirs and it works.
            customers.verify_contact_point(point, via="webhook")
    return attempt


def point_for_link(token: str) -> ContactPoint:
    value = read_link(
        token,
        salt=VERIFY_SALT,
        max_age=LINK_MAX_AGE,
        ids=("c",),
        expired="this link has expired: ask for a new one",
    )
    point = ContactPoint.objects.filter(pk=value["c"]).first()
    if point is None or point.normalized != value.get("v"):
        raise ServiceError("this link is for an address that has changed since; ask for a new one")
    return point


def confirm_by_link(token: str) -> ContactPoint:
    point = point_for_link(token)
    return customers.verify_contact_point(point, via="link")


def confirm_by_code(point: ContactPoint, code: str, *, by=None) -> ContactPoint:
    if point.verification_sent_at is None or clock.now() - point.verification_sent_at > CODE_MAX_AGE:
        raise ServiceError("no code is outstanding for this number: send a new one", field="code")
    if not hmac.compare_digest(verification_code(point), "".join(code.split())):
        raise ServiceError("that code is not the one we sent", field="code")
    return customers.verify_contact_point(point, by=by, via="code")


def due_to_ask(now):
    """The points our knowledge of is old: verified long ago with no delivery since, or never confirmed,
    and not asked in the last month."""
    return (
        ContactPoint.objects.filter(kind__in=list(_CHANNEL))
        .exclude(state__in=ContactState.unusable())
        .filter(
            Q(state=ContactState.VERIFIED, verified_at__lt=now - STALE_AFTER)
            & (Q(last_delivery_ok_at__isnull=True) | Q(last_delivery_ok_at__lt=now - STALE_AFTER))
            | Q(state=ContactState.UNVERIFIED)
        )
        .filter(Q(verification_sent_at__isnull=True) | Q(verification_sent_at__lt=now - ASK_AGAIN_AFTER))
    )


def reverify_stale() -> int:
    """Ask again where our knowledge is old: verified long ago with no delivery since, or never asked;
    at most FRONTLINE_REVERIFY_PER_DAY asks a day, oldest first, so a large import is asked over days,
    not all at once. "A day" is the last 20 hours: the daily run's own asks of yesterday are not counted
    against today's even when it runs a little early."""
    now = clock.now()
    asked_today = ContactPoint.objects.filter(verification_sent_at__gte=now - timedelta(hours=20)).count()
    room = max(settings.FRONTLINE_REVERIFY_PER_DAY - asked_today, 0)
    stale = due_to_ask(now).order_by("pk")[:room]
    asked = 0
    for point in stale:
        request_verification(point, via="worker")
        asked += 1
    return asked
