"""The provider's side of a fault: incidents with their affected customers, linked alerts and cases and
updates; proactive cases opened from monitoring; planned maintenance; the public status page's
subscriptions.

The incident owns its links (to cases, alerts, components): `cases` and `monitoring` never learn about
incidents. Who is affected is computed from the service tree (`monitoring.blast`) and kept per customer,
so "we told everyone" is a count with its exceptions (the ledger, `ledger.py`).
"""

from django.db import models
from django.db.models import Q


class IncidentState(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"  # we know something is wrong and are looking
    IDENTIFIED = "identified", "Identified"  # we know the cause and are fixing it
    MONITORING = "monitoring", "Monitoring"  # a fix is in; we are watching that it holds
    RESOLVED = "resolved", "Resolved"  # over: linked cases were resolved and customers asked to confirm

    @classmethod
    def open_values(cls) -> list[str]:
        return [cls.INVESTIGATING, cls.IDENTIFIED, cls.MONITORING]


class Impact(models.TextChoices):
    DEGRADED = "degraded", "Degraded"  # working badly for those affected
    DOWN = "down", "Outage"  # not working for those affected


class Incident(models.Model):
    title = models.CharField(max_length=200)
    state = models.CharField(
        max_length=15, choices=IncidentState.choices, default=IncidentState.INVESTIGATING
    )
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.DOWN)
    started_at = models.DateTimeField(help_text="When it started for customers (the first alert's start)")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_by_label = models.CharField(max_length=100, blank=True, help_text="monitoring, or the person")
    public = models.BooleanField(default=True, help_text="Shown on the public status page")
    components = models.ManyToManyField("monitoring.Component", blank=True, related_name="incidents")
    alerts = models.ManyToManyField("monitoring.Alert", blank=True, related_name="incidents")
    affected_units = models.PositiveIntegerField(default=0)
    # Repeat detection (repeats.py): the earlier incident this one looks like, and in what.
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats"
    )
    repeat_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "started_at"], name="incident_state")]

    def __str__(self) -> str:
        return self.title

    @property
    def ref(self) -> str:
        return f"INC-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state != IncidentState.RESOLVED

    def affected_unit_ids(self) -> list[int]:
        """The units it reaches, across its affected customers (each unit is one customer's)."""
        return [u for ids in self.affected.values_list("unit_ids", flat=True) for u in ids]


class Affected(models.Model):
    """A customer the incident reaches, and through which of their units: computed, never chosen by hand."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    unit_ids = models.JSONField(default=list)
    added_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "customer"], name="affected_once")]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.incident_id}"


class IncidentCase(models.Model):
    """A customer's case that is about this incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="case_links")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    why = models.CharField(
        max_length=300, blank=True, help_text="Why it was linked, when nobody did it by hand"
    )

    def __str__(self) -> str:
        return f"{self.case_id} in {self.incident_id}"


class IncidentUpdate(models.Model):
    """What we said, and to whom: every update goes to every affected customer through their ladders."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    state = models.CharField(max_length=15, choices=IncidentState.choices)
    body = models.TextField()
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_by_label = models.CharField(max_length=100, blank=True)
    fanout = models.ForeignKey(
        "notifications.FanOut", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notices = models.PositiveIntegerField(default=0, help_text="Notices started: one per person told")

    class Meta:
        ordering = ["posted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.state}"


class ProactiveCase(models.Model):
    """A case we opened because monitoring saw a customer's unit go bad, before they told us."""

    unit = models.ForeignKey("customers.ServiceUnit", on_delete=models.CASCADE, related_name="+")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey("monitoring.Alert", null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField()
    recovered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["unit"], condition=Q(recovered_at=None), name="proactive_open")]

    def __str__(self) -> str:
        return f"case {self.case_id} for unit {self.unit_id}"


class MaintenanceImpact(models.TextChoices):
    # The network operators' MAINTNOTE values (X-MAINTNOTE-IMPACT), kept as they are spelled there.
    NO_IMPACT = "NO-IMPACT", "No impact expected"  # work nearby; service should not notice
    REDUCED_REDUNDANCY = (
        "REDUCED-REDUNDANCY",
        "Reduced redundancy",
    )  # service runs, one failure from an outage
    DEGRADED = "DEGRADED", "Degraded"  # service runs badly for a while
    OUTAGE = "OUTAGE", "Outage"  # service stops for a while


class MaintenanceStatus(models.TextChoices):
    # Also MAINTNOTE's X-MAINTNOTE-STATUS values.
    CONFIRMED = "CONFIRMED", "Scheduled"  # announced, not started
    IN_PROCESS = "IN-PROCESS", "In progress"  # started
    COMPLETED = "COMPLETED", "Completed"  # done
    CANCELLED = "CANCELLED", "Cancelled"  # will not happen


class Maintenance(models.Model):
    """Planned work, announced to exactly the customers it reaches. `sequence` rises on every change, as the
    calendar entry's SEQUENCE (its UID stays): the customer's calendar updates the one entry."""

    title = models.CharField(max_length=200)
    body = models.TextField()
    impact = models.CharField(max_length=20, choices=MaintenanceImpact.choices)
    status = models.CharField(
        max_length=12, choices=MaintenanceStatus.choices, default=MaintenanceStatus.CONFIRMED
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    components = models.ManyToManyField("monitoring.Component", blank=True, related_name="maintenances")
    units = models.ManyToManyField("customers.ServiceUnit", blank=True, related_name="maintenances")
    uid = models.CharField(max_length=200, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    # An upstream carrier's notice we turned into ours: who sent it, their id, the mail as it came.
    upstream_provider = models.CharField(max_length=100, blank=True)
    upstream_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    public = models.BooleanField(default=True)
    alerts = models.ManyToManyField("monitoring.Alert", blank=True, related_name="maintenances")

    class Meta:
        indexes = [models.Index(fields=["status", "starts_at"], name="maintenance_when")]

    def __str__(self) -> str:
        return self.title

    @property
    def ref(self) -> str:
        return f"MNT-{self.pk}"


class MaintenanceReach(models.Model):
    """A customer the maintenance reaches, through which units: computed when it is announced or changed."""

    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, related_name="reach")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    unit_ids = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["maintenance", "customer"], name="reached_once")]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.maintenance_id}"


class SubscriptionKind(models.TextChoices):
    EMAIL = "email", "Email"  # a message per incident update or maintenance
    WEBHOOK = "webhook", "Webhook"  # a signed JSON post per update


class Subscription(models.Model):
    """Someone following the public status page: confirmed by a link before anything is sent."""

    kind = models.CharField(max_length=10, choices=SubscriptionKind.choices)
    address = models.CharField(max_length=500)
    components = models.ManyToManyField("monitoring.Component", blank=True, related_name="+")
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    secret = models.CharField(max_length=64, blank=True, help_text="A webhook's HMAC key")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "address"], name="one_subscription_per_address")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.address}"

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class CauseClass(models.TextChoices):
    CHANGE = "change", "A change we made"  # configuration, deploy: the commonest cause
    CAPACITY = "capacity", "Capacity"  # ran out: disk, connections, bandwidth
    HARDWARE = "hardware", "Hardware"  # a part failed
    SOFTWARE = "software", "Software defect"  # a bug in what we run
    UPSTREAM = "upstream", "Upstream provider"  # a carrier's or vendor's fault
    ATTACK = "attack", "Attack"  # someone else's doing: DDoS, intrusion
    UNKNOWN = "unknown", "Not yet known"  # said plainly rather than guessed


class Postmortem(models.Model):
    """What we learned: the root cause, the impact from the state history, and what we will change."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    root_cause = models.TextField()
    cause_class = models.CharField(max_length=10, choices=CauseClass.choices, default=CauseClass.UNKNOWN)
    customers = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    customer_minutes_lost = models.PositiveIntegerField(default=0)
    written_at = models.DateTimeField()
    written_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary_sent_at = models.DateTimeField(null=True, blank=True, help_text="The customer-facing summary")

    def __str__(self) -> str:
        return f"postmortem of {self.incident_id}"


class ActionKind(models.TextChoices):
    # As site reliability practice types corrective actions.
    INVESTIGATE = "investigate", "Investigate"  # find out more: the cause is not certain
    MITIGATE = "mitigate", "Mitigate"  # make the next one smaller or shorter
    REPAIR = "repair", "Repair"  # fix what broke
    DETECT = "detect", "Detect"  # see it sooner: an alert, a check
    PREVENT = "prevent", "Prevent"  # make it not happen again: a test, a guard


class ActionPriority(models.TextChoices):
    # The priority sets the due date (ACTION_DUE_DAYS).
    URGENT = "urgent", "Urgent"  # within a week
    HIGH = "high", "High"  # within a month
    NORMAL = "normal", "Normal"  # within a quarter


ACTION_DUE_DAYS = {ActionPriority.URGENT: 7, ActionPriority.HIGH: 30, ActionPriority.NORMAL: 90}


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"  # to do
    DONE = "done", "Done"  # done, with what shows it works
    REOPENED = "reopened", "Reopened"  # the fault came back after it was marked done


class VerificationKind(models.TextChoices):
    TEST = "test", "A test"  # an automated test that fails without the fix
    ALERT_RULE = "alert_rule", "An alert rule"  # monitoring now sees it
    REHEARSAL = "rehearsal", "A rehearsal"  # we broke it on purpose and it held
    LINK = "link", "A link to the change"  # the merged change or ticket, for what the others cannot show


class CorrectiveAction(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=12, choices=ActionKind.choices)
    description = models.TextField()
    owner = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=8, choices=ActionPriority.choices, default=ActionPriority.HIGH)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    verification_kind = models.CharField(max_length=12, choices=VerificationKind.choices, blank=True)
    verification = models.TextField(blank=True, help_text="What shows the fix works")
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_raised_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopened_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="action_due")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.description[:40]}"
