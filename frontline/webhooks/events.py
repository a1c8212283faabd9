"""The events and to-do kind the webhooks app writes."""

from frontline.events.models import EVENT_KINDS
from frontline.events.services import record
from frontline.todos.models import TODO_KINDS

WEBHOOK_PAUSED = EVENT_KINDS.declare("webhook.paused", "Webhook paused")
WEBHOOK_RESUMED = EVENT_KINDS.declare("webhook.resumed", "Webhook resumed")
FIX_WEBHOOK = TODO_KINDS.declare("fix_webhook", "Fix a webhook receiver")


def paused(*, subscription, reason: str) -> None:
    """data: subscription_id, name, reason."""
    record(
        WEBHOOK_PAUSED,
        actor_label="frontline",
        via="worker",
        subscription_id=subscription.pk,
        name=subscription.name,
        reason=reason,
    )


def resumed(*, subscription, by, held: int) -> None:
    """data: subscription_id, name, held (deliveries sent again)."""
    record(WEBHOOK_RESUMED, actor=by, subscription_id=subscription.pk, name=subscription.name, held=held)
