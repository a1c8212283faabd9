"""Every attempt to reach a customer, with what the other side answered: the evidence log.

The intake issue builds it for email replies and acknowledgements; notifications will add channels.
"""

from django.db import models
from django.db.models import Q


class AttemptStatus(models.TextChoices):
    SENDING = "sending", "Handed over, no answer yet"  # we crashed or hung before recording an answer
    ACCEPTED = "accepted", "Accepted by the server"  # the receiving server said 250 (not yet "delivered")
    REFUSED = "refused", "Refused"  # the server refused it outright (5xx) or nothing could connect
    DEFERRED = "deferred", "Temporarily refused"  # a 4xx answer: try again later, the address may be fine
    BOUNCED = "bounced", "Bounced"  # accepted, then a delivery report said it failed permanently
    DELAYED = "delayed", "Delayed"  # accepted, then a delivery report said it is still trying
    DELIVERED = "delivered", "Delivered"  # a delivery report confirmed delivery
    # A retry found this attempt still "sending": the worker died between the server's answer and our
    # record, so we cannot know. The same key (and Message-ID) was sent again for the receiver to drop.
    UNKNOWN = "unknown", "Outcome unknown"


# What counts as "it got there" for the rule that one idempotency key has at most one success.
SUCCESSES = (AttemptStatus.ACCEPTED, AttemptStatus.DELAYED, AttemptStatus.DELIVERED)


class DeliveryAttempt(models.Model):
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="delivery_attempts"
    )
    message = models.ForeignKey(
        "cases.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="delivery_attempts"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    contact_point = models.ForeignKey(
        "customers.ContactPoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notification = models.ForeignKey(
        "notifications.Notification",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attempts",
        db_index=False,
    )
    step = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The ladder's rung")
    # The same key on every try of one rung to one contact point: receivers deduplicate on it.
    idempotency_key = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=12)
    address = models.CharField(max_length=255)
    # Our Message-ID: how a delivery report finds the attempt it answers (indexed in Meta, for equality).
    header_message_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.SENDING)
    reply_code = models.PositiveSmallIntegerField(null=True, blank=True)
    reply_text = models.TextField(blank=True, help_text="The server's answer, word for word")
    # A ladder's rung: when it was due. Recorded minus due is how late the engine was.
    due_at = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    report_status = models.CharField(max_length=16, blank=True, help_text="Enhanced status code, e.g. 5.1.1")
    report_detail = models.TextField(blank=True)
    report_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["notification", "step"], name="attempt_notification"),
            models.Index(fields=["customer", "attempted_at"], name="attempt_customer"),
            models.Index(fields=["idempotency_key"], name="attempt_key", condition=~Q(idempotency_key="")),
            # Not db_index: on PostgreSQL that adds a LIKE copy, written on every send (core/schema.py).
            models.Index(fields=["header_message_id"], name="attempt_by_message_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(status__in=["accepted", "delayed", "delivered"]) & ~Q(idempotency_key=""),
                name="one_success_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.address}: {self.get_status_display()}"

    @property
    def failed(self) -> bool:
        return self.status in (AttemptStatus.REFUSED, AttemptStatus.DEFERRED, AttemptStatus.BOUNCED)
