"""Telling a customer something until a person has acknowledged it.

A `Notification` runs a ladder of rungs (email, then SMS, then a call, then a person at the provider) over
a frozen copy of the ladder it started with, one rung per run, until the customer acknowledges. Every
hand-over to a transport is a `delivery.DeliveryAttempt`: that table is the evidence log. The notification
row itself is the durable timer: `next_due_at` says when its next rung is due, and a worker claims it under
a lease, so a worker killed mid-rung leaves it to be claimed again, never lost.
"""

from django.db import models
from django.db.models import Q


class SubjectKind(models.TextChoices):
    CASE = "case", "Case"  # a customer's problem we are working on
    INCIDENT = "incident", "Incident"  # a fault on the provider's side affecting many customers
    MAINTENANCE = "maintenance", "Planned maintenance"  # work announced before it happens
    ACTION = "action", "Planned action"  # something we will do to a customer's unit (containment, suspension)
    CONTACT = "contact", "Contact point"  # checking that an address or number still reaches its owner


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"  # good to know; email and a reminder are enough
    URGENT = "urgent", "Urgent"  # they must know within hours: the ladder climbs to a call
    CRITICAL = (
        "critical",
        "Critical",
    )  # service down or about to be disrupted: climbs fast, ends with a person


# How a rung reaches someone (not cases.Channel, the ways a customer reaches us).
class RungChannel(models.TextChoices):
    EMAIL = "email", "Email"  # our SMTP backend; the server's reply is the evidence
    SMS = "sms", "SMS"  # through the provider's Apprise URL
    VOICE = "voice", "Voice call"  # the voice provider's webhook (Apprise places no calls)
    CHAT = "chat", "Chat"  # a chat service through Apprise
    WEBHOOK = "webhook", "Webhook"  # the customer's own system, signed with HMAC
    PERSON = "person", "Staff call"  # the last rung: a to-do for a person to phone them


class Ladder(models.Model):
    """Rungs as data: [{"channel": "email", "wait_minutes": 0}, {"channel": "sms", "wait_minutes": 15}, ...].

    `wait_minutes` is how long after the rung before it this rung is due (the first rung's is when the
    ladder starts). A ladder is chosen by subject kind and urgency; blank matches any.
    """

    name = models.CharField(max_length=100, unique=True)
    subject_kind = models.CharField(max_length=12, choices=SubjectKind.choices, blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, blank=True)
    steps = models.JSONField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class NotificationStatus(models.TextChoices):
    ACTIVE = "active", "Climbing"  # a rung is due or waiting; nobody has acknowledged yet
    ACKNOWLEDGED = "acknowledged", "Acknowledged"  # a person confirmed they got it: the ladder stopped
    EXHAUSTED = "exhausted", "No answer"  # every rung tried, nobody acknowledged: the provider must act
    CANCELLED = "cancelled", "Withdrawn"  # the provider withdrew it before anyone acknowledged


class FanOutManager(models.Manager):
    def get_queryset(self):
        # The audience still to store is megabytes at a million customers: only the storing job reads it.
        return super().get_queryset().defer("audience")


class FanOut(models.Model):
    """One call that notified every customer affected by something: its progress is counted from below."""

    subject_kind = models.CharField(max_length=12, choices=SubjectKind.choices)
    subject_id = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    body = models.TextField(blank=True)  # each notice's text (a person's names the accounts they act for)
    total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Its notices are stored a chunk per transaction (storing.py), the first with the fan-out itself, so
    # that they are sent while the rest are stored: `stored` counts those committed, `stored_at` is the last
    # chunk's time (a store that stalls is resumed), `audience` holds the recipients after the first chunk
    # (audience.pack) until the last is stored.
    stored = models.PositiveIntegerField(default=0)
    stored_at = models.DateTimeField(null=True, blank=True)
    audience = models.JSONField(default=list, blank=True)
    # The cases it tells the customers about: those chosen, and the open cases about the units chosen. Each
    # case page shows the notices that cover it.
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="fanouts")

    objects = FanOutManager()

    def __str__(self) -> str:
        return f"{self.title} ({self.total} customers)"


class Notification(models.Model):
    # Indexed by notification_customer (customer, created_at), which also serves the PROTECT check.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="notifications", db_index=False
    )
    subject_kind = models.CharField(max_length=12, choices=SubjectKind.choices)
    subject_id = models.CharField(max_length=64)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    fanout = models.ForeignKey(
        FanOut, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications", db_index=False
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    # One notice per person per subject: a person acting for several accounts the subject reaches gets one
    # notice of their own (`person`, naming the accounts in its text), and the accounts' own notices leave
    # that person out (`skip_people`, person ids).
    person = models.ForeignKey(
        "customers.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    skip_people = models.JSONField(default=list, blank=True)
    # The ladder as it was when this started: editing a ladder never changes a notification under way.
    ladder_name = models.CharField(max_length=100)
    steps = models.JSONField()
    status = models.CharField(max_length=12, choices=NotificationStatus.choices, default="active")
    next_step = models.PositiveSmallIntegerField(default=0)
    next_due_at = models.DateTimeField(null=True, blank=True)
    # A worker's claim on the due rung: a fresh token per claim, so a worker that lost it changes nothing.
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_via = models.CharField(max_length=12, blank=True, help_text="link, email, sms, phone...")
    acknowledged_by = models.CharField(max_length=200, blank=True, help_text="Who, as far as we know")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Rungs waiting for a worker, and claims that may have died with theirs: a claimed row leaves
            # the first index, so the dispatcher never scans past rungs already taken.
            models.Index(
                fields=["next_due_at"], condition=Q(status="active", claim_token=""), name="notification_due"
            ),
            models.Index(
                fields=["claimed_until"],
                condition=Q(status="active") & ~Q(claim_token=""),
                name="notification_claimed",
            ),
            models.Index(fields=["fanout", "status"], name="notification_fanout"),
            models.Index(fields=["customer", "created_at"], name="notification_customer"),
            models.Index(fields=["subject_kind", "subject_id"], name="notification_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.title} to {self.customer_id} ({self.status})"

    @property
    def rung(self) -> dict | None:
        return self.steps[self.next_step] if self.next_step < len(self.steps) else None
