"""Acknowledging a notification: the customer tells us they have it, by the signed link, a reply to the mail,
a text ("OK"), or on the phone to a person. It stops the ladder and nothing else: whatever the
notification announced goes ahead on its own clock."""

from datetime import timedelta

from django.db import transaction

from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.core.links import NOT_VALID, make_link, read_link
from frontline.customers.services import normalize_contact
from frontline.delivery.models import DeliveryAttempt
from frontline.notifications import events
from frontline.notifications.models import (
    Notification,
    NotificationStatus,
)

ACK_SALT = "frontline.notification-ack"


ACK_MAX_AGE = timedelta(days=14)


def ack_link(notification: Notification) -> str:
    return make_link("notify/ack", {"n": notification.pk}, salt=ACK_SALT)


def acknowledge(
    notification: Notification, *, via: str, who: str = "", by=None, detail: str = ""
) -> Notification:
    """Stop the ladder. Only the ladder: whatever the notification announced goes ahead on its own clock."""
    now = clock.now()
    with transaction.atomic():
        stopped = Notification.objects.filter(
            pk=notification.pk,
            status__in=[NotificationStatus.ACTIVE, NotificationStatus.EXHAUSTED],
        ).update(
            status=NotificationStatus.ACKNOWLEDGED,
            acknowledged_at=now,
            acknowledged_via=via,
            acknowledged_by=(who or (str(by) if by else ""))[:200],
            next_due_at=None,
            claim_token="",
            claimed_until=None,
            finished_at=now,
        )
        notification.refresh_from_db()
        if stopped:
            events.notification_acknowledged(
                notification=notification, who=who, detail=detail, by=by, via=via
            )
    return notification


def notification_for_link(token: str) -> Notification:
    data = read_link(
        token,
        salt=ACK_SALT,
        max_age=ACK_MAX_AGE,
        ids=("n",),
        expired="this link has expired; the message it came with is still on record",
    )
    notification = Notification.objects.select_related("customer").filter(pk=data["n"]).first()
    if notification is None:
        raise ServiceError(NOT_VALID)
    return notification


def acknowledge_by_link(token: str, *, client: str = "") -> Notification:
    return acknowledge(notification_for_link(token), via="link", who=client)


def acknowledge_by_reply(message_ids: list[str], *, sender: str) -> Notification | None:
    """A mail answering one of our notification emails (In-Reply-To / References) acknowledges it."""
    ids = [m for m in message_ids if m and m.startswith("<notify.")]
    if not ids:
        return None
    attempt = (
        DeliveryAttempt.objects.filter(header_message_id__in=ids, notification__isnull=False)
        .select_related("notification")
        .order_by("-pk")
        .first()
    )
    if attempt is None:
        return None
    return acknowledge(attempt.notification, via="email", who=sender, detail="replied to the email")


ACK_WORDS = {"ok", "okay", "yes", "ack", "got it", "received", "confirm", "confirmed", "ja", "oui"}


def acknowledge_by_sms(number: str, text: str) -> Notification | None:
    """A text with a keyword ("OK", "YES"…) acknowledges the latest notification that texted that number."""

    word = " ".join(text.lower().strip(" .!\n").split())
    if word not in ACK_WORDS:
        return None
    normalized = normalize_contact("phone", number)
    attempt = (
        DeliveryAttempt.objects.filter(
            notification__isnull=False,
            channel="sms",
            contact_point__normalized=normalized,
            notification__status__in=[NotificationStatus.ACTIVE, NotificationStatus.EXHAUSTED],
        )
        .select_related("notification")
        .order_by("-pk")
        .first()
    )
    if attempt is None:
        return None
    return acknowledge(attempt.notification, via="sms", who=number, detail=f"texted {text.strip()[:40]!r}")


def record_phone_confirmation(notification: Notification, *, by, who: str, note: str = "") -> Notification:
    if not who.strip():
        raise ServiceError("say who confirmed on the phone", field="who")
    return acknowledge(notification, via="phone", who=who.strip(), by=by, detail=note)
