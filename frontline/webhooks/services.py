"""Subscribing, sending, retrying, pausing.

1. `event_recorded` (FRONTLINE_EVENT_RECORDED, inside the event's own transaction) stores a delivery for
   each active subscription to the event's kind, due now; after the commit a job sends it.
2. `deliver_due` (that job, and every 30 s for retries) posts each due delivery, signed, and records the
   try with the receiver's answer. A failure is retried after 1 min, 5 min, 30 min, 2 h and 12 h, then
   given up; the receiver dedupes by the Idempotency-Key, the same on every try of one delivery.
3. A receiver that failed FRONTLINE_WEBHOOK_PAUSE_AFTER tries in a row is paused: its deliveries are held,
   and a person gets a to-do. `resume` sends what was held.
"""

import json
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.notifications.transports import post_signed
from frontline.scheduling.later import later
from frontline.todos import services as todos
from frontline.todos.models import ToDo, ToDoStatus
from frontline.webhooks import events
from frontline.webhooks.models import KINDS, DeliveryState, Subscription, WebhookAttempt, WebhookDelivery

RETRY_AFTER = [60, 300, 1800, 7200, 43200]  # seconds after the 1st, 2nd... failed try; then it gives up
LEASE = timedelta(minutes=5)  # a worker's claim on a delivery it is sending
BATCH = 100

_subscribed: dict = {"until": 0.0, "by_kind": {}}


def _by_kind() -> dict[str, list[int]]:
    """Active subscriptions by kind, read at most once a minute per process (every event asks); a change in
    this process applies at once, in another within the minute."""
    if time.monotonic() >= _subscribed["until"]:
        by_kind: dict[str, list[int]] = {}
        for pk, kinds in Subscription.objects.filter(is_active=True, paused_at=None).values_list(
            "pk", "kinds"
        ):
            for kind in kinds:
                by_kind.setdefault(kind, []).append(pk)
        _subscribed.update(until=time.monotonic() + 60, by_kind=by_kind)
    return _subscribed["by_kind"]


def forget_subscriptions() -> None:
    _subscribed["until"] = 0.0


def keep_subscriptions_read() -> None:
    """Read the subscriptions now and keep them until forgotten (a measurement that must not re-read)."""
    forget_subscriptions()
    _by_kind()
    _subscribed["until"] = float("inf")


def event_recorded(event) -> None:
    """A delivery for each subscription to this kind, sent after the event's transaction commits."""
    wanted = _by_kind().get(event.kind)
    if not wanted:
        return
    now = clock.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription_id=pk, event_id=event.pk, kind=event.kind, next_attempt_at=now, created_at=now
        )
        for pk in wanted
    )
    later("frontline.webhooks.tasks.deliver_due")


@transaction.atomic
def subscribe(*, name: str, url: str, kinds: list[str], by: Agent) -> Subscription:
    require(by, Capability.MANAGE_STAFF)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        raise ServiceError(
            f"kinds are some of {', '.join(KINDS)}" + (f"; not {', '.join(unknown)}" if unknown else ""),
            field="kinds",
        )
    if not url.startswith(("https://", "http://")):
        raise ServiceError("the receiver's URL is http(s)://…", field="url")
    if Subscription.objects.filter(name=name).exists():
        raise ServiceError(f"there is a webhook called {name!r} already", field="name")
    subscription = Subscription.objects.create(
        name=name,
        url=url,
        kinds=sorted(set(kinds)),
        secret=secrets.token_hex(32),
        created_at=clock.now(),
        created_by=by,
    )
    transaction.on_commit(forget_subscriptions)
    return subscription


@transaction.atomic
def resume(subscription: Subscription, *, by: Agent) -> Subscription:
    """A person fixed the receiver: what was held is sent, oldest first."""
    require(by, Capability.MANAGE_STAFF)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    held = WebhookDelivery.objects.filter(subscription=subscription, state=DeliveryState.HELD).update(
        state=DeliveryState.PENDING, next_attempt_at=clock.now()
    )
    subscription.paused_at, subscription.paused_reason, subscription.failures_in_row = None, "", 0
    subscription.save(update_fields=["paused_at", "paused_reason", "failures_in_row"])
    for todo in ToDo.objects.filter(
        kind=events.FIX_WEBHOOK, status=ToDoStatus.OPEN, evidence__subscription_id=subscription.pk
    ):
        todos.finish_todo(todo, by=by, outcome=f"resumed; {held} held deliveries sent again", via="api")
    events.resumed(subscription=subscription, by=by, held=held)
    transaction.on_commit(forget_subscriptions)
    later("frontline.webhooks.tasks.deliver_due")
    return subscription


def deliver_due(limit: int = BATCH) -> int:
    """Send the deliveries that are due; each is claimed first, so two workers never send one twice."""
    sent = 0
    now = clock.now()
    due = list(
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "next_attempt_at")[:limit]
    )
    for pk, was_due in due:
        claimed = WebhookDelivery.objects.filter(
            pk=pk, state=DeliveryState.PENDING, next_attempt_at=was_due
        ).update(next_attempt_at=now + LEASE)
        if claimed:
            _send(WebhookDelivery.objects.select_related("subscription", "event").get(pk=pk))
            sent += 1
    return sent


def payload(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    return json.dumps(
        {
            "delivery": delivery.pk,
            "event": event.pk,
            "kind": event.kind,
            "at": event.at.isoformat(),
            "case": f"C-{event.case_id}" if event.case_id else None,
            "customer_id": event.customer_id,
            "data": event.data,
        },
        ensure_ascii=False,
    ).encode()


def _send(delivery: WebhookDelivery) -> None:
    subscription = delivery.subscription
    code, answer = None, ""
    try:
        code, answer = post_signed(
            subscription.url,
            payload(delivery),
            secret=subscription.secret,
            key=f"frontline-webhook-{delivery.pk}",
            headers={"X-Frontline-Event": delivery.kind},
        )
    except (OSError, ValueError) as exc:  # refused, timed out, unresolvable: nothing reached a receiver
        answer = f"not reached: {exc}"
    _record(delivery, code, answer)


@transaction.atomic
def _record(delivery: WebhookDelivery, code: int | None, answer: str) -> None:
    now = clock.now()
    ok = code is not None and 200 <= code < 300
    WebhookAttempt.objects.create(delivery=delivery, at=now, status_code=code, answer=answer[:1000], ok=ok)
    delivery.tries += 1
    subscription = Subscription.objects.select_for_update().get(pk=delivery.subscription_id)
    if ok:
        delivery.state, delivery.delivered_at = DeliveryState.DELIVERED, now
        subscription.failures_in_row = 0
    else:
        subscription.failures_in_row += 1
        if delivery.tries > len(RETRY_AFTER):
            delivery.state = DeliveryState.GAVE_UP
        else:
            delivery.next_attempt_at = now + timedelta(seconds=RETRY_AFTER[delivery.tries - 1])
    delivery.save(update_fields=["tries", "state", "delivered_at", "next_attempt_at"])
    subscription.save(update_fields=["failures_in_row"])
    if (
        not ok
        and subscription.paused_at is None
        and subscription.failures_in_row >= settings.FRONTLINE_WEBHOOK_PAUSE_AFTER
    ):
        _pause(
            subscription,
            f"{subscription.failures_in_row} tries in a row failed; the last: {code or ''} {answer}"[:255],
        )


def _pause(subscription: Subscription, reason: str) -> None:
    subscription.paused_at, subscription.paused_reason = clock.now(), reason
    subscription.save(update_fields=["paused_at", "paused_reason"])
    WebhookDelivery.objects.filter(subscription=subscription, state=DeliveryState.PENDING).update(
        state=DeliveryState.HELD
    )
    todos.raise_todo(
        kind=events.FIX_WEBHOOK,
        title=f"Fix the webhook receiver {subscription.name}: paused",
        detail=f"{subscription.url}: {reason}. Resume it once the receiver answers again.",
        evidence={"subscription_id": subscription.pk},
    )
    events.paused(subscription=subscription, reason=reason)
    transaction.on_commit(forget_subscriptions)
