"""Outgoing webhooks: an integration subscribes to kinds of events and receives each, signed, at its URL;
every try is recorded with the receiver's answer, failures are retried with backoff, and a receiver that
keeps failing is paused with a to-do for a person."""

from django.db import models
from django.db.models import Q

# The kinds an integration may subscribe to: what happens to a customer's problem that another system acts on.
KINDS = {
    "case.opened": "a case opened",
    "case.status_changed": "a case's status changed",
    "case.message_received": "a customer's message received",
    "policy.decision_made": "a rule's decision made (scheduled, held, waiting)",
    "policy.decision_applied": "a rule's action applied",
    "notification.acknowledged": "a notification acknowledged",
    "contact.failing": "a contact point failing",
}


class Subscription(models.Model):
    name = models.CharField(max_length=80, unique=True)
    url = models.URLField(max_length=500)
    # Signs each delivery (HMAC-SHA256 over "timestamp.body", as the customers' webhook transport signs).
    secret = models.CharField(max_length=64)
    kinds = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=255, blank=True)
    failures_in_row = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey("agents.Agent", null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"  # due now, or at next_attempt_at after a failure
    DELIVERED = "delivered", "Delivered"  # the receiver answered 2xx
    GAVE_UP = "gave_up", "Gave up"  # every retry failed; the receiver was told nothing more about it
    HELD = "held", "Held: receiver paused"  # its subscription is paused; sent when a person resumes it


class WebhookDelivery(models.Model):
    """One event for one subscription; its tries are `WebhookAttempt`s."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    tries = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="webhook_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.subscription_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One try, with what the receiver said (or why nothing reached it)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    answer = models.TextField(blank=True)
    ok = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or 'not reached'}"
