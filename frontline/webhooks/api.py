"""Outgoing webhooks over JSON (admins): subscribe, see each delivery with its tries, resume a paused one."""

import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.core.api import Id, In, Limit, get_or_404
from frontline.webhooks import services
from frontline.webhooks.models import KINDS, Subscription, WebhookDelivery

router = Router(tags=["webhooks"])


class SubscriptionIn(In):
    name: str = Field(min_length=1, max_length=80)
    url: str = Field(min_length=1, max_length=500)
    kinds: list[str] = Field(min_length=1, max_length=len(KINDS), description=", ".join(KINDS))


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    kinds: list[str]
    paused_at: datetime.datetime | None
    paused_reason: str
    failures_in_row: int


class CreatedOut(SubscriptionOut):
    secret: str = Field(description="Verify X-Frontline-Signature with it: HMAC-SHA256 of 'timestamp.body'")


class WebhookAttemptOut(Schema):
    at: datetime.datetime
    status_code: int | None
    answer: str
    ok: bool


class DeliveryOut(Schema):
    id: int
    kind: str
    event_id: int
    state: str
    tries: int
    next_attempt_at: datetime.datetime
    delivered_at: datetime.datetime | None
    attempts: list[WebhookAttemptOut]


def _admin(request):
    require(request.agent, Capability.MANAGE_STAFF)
    return request.agent


@router.get("/webhooks", response=list[SubscriptionOut], summary="Outgoing webhooks")
def list_webhooks(request):
    _admin(request)
    return list(Subscription.objects.order_by("name"))


@router.post("/webhooks", response={201: CreatedOut}, summary="Subscribe a receiver to kinds of events")
def subscribe(request, payload: SubscriptionIn):
    subscription = services.subscribe(
        name=payload.name, url=payload.url, kinds=payload.kinds, by=_admin(request)
    )
    return Status(201, subscription)


@router.post("/webhooks/{webhook_id}/resume", response=SubscriptionOut, summary="Send what a pause held")
def resume(request, webhook_id: Id):
    by = _admin(request)
    return services.resume(get_or_404(Subscription.objects, pk=webhook_id), by=by)


@router.get("/webhooks/{webhook_id}/deliveries", response=list[DeliveryOut], summary="Each with its tries")
def deliveries(request, webhook_id: Id, limit: Limit = 50):
    _admin(request)
    subscription = get_or_404(Subscription.objects, pk=webhook_id)
    found = (
        WebhookDelivery.objects.filter(subscription=subscription)
        .prefetch_related("attempts")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [{**_fields(d), "attempts": list(d.attempts.order_by("at", "pk"))} for d in found]


def _fields(delivery: WebhookDelivery) -> dict:
    names = ("id", "kind", "event_id", "state", "tries", "next_attempt_at", "delivered_at")
    return {name: getattr(delivery, name) for name in names}
