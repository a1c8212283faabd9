"""Rules with judgment: rules as data, the events they judge, the decisions they make, people's overrides."""

from django.db import models
from django.db.models import Q


class Trigger(models.TextChoices):
    ABUSE_REPORT = "abuse_report", "Abuse report received"  # a CERT or mail provider reports a unit of ours
    MALWARE_SCAN = "malware_scan", "Malware scan result"  # our scanner's verdict on a site or host
    PAYMENT_OVERDUE = "payment_overdue", "Payment overdue"  # billing says an invoice is N days late
    RESOURCE_ABUSE = (
        "resource_abuse",
        "Resource abuse",
    )  # a unit uses far more than its share (CPU, mail rate)
    MONITORING_STATE = "monitoring_state", "Monitoring state"  # a unit's monitored state changed


class ActionKind(models.TextChoices):
    CONTAIN = (
        "contain",
        "Contain the unit",
    )  # isolate it (filter a host, hold a site) while the rest keeps serving
    SUSPEND = "suspend", "Suspend the unit"  # switch it off
    RATE_LIMIT = "rate_limit", "Rate-limit the unit"  # slow it to a limit (mail rate, bandwidth)
    REQUIRE_CLEANUP = (
        "require_cleanup",
        "Require cleanup",
    )  # a case asking the customer to clean; no disruption
    NOTIFY = "notify", "Notify the customer"  # tell them; change nothing
    OPEN_CASE = "open_case", "Open a case"  # work for us; change nothing
    ASK_APPROVAL = "ask_approval", "Ask a person to approve"  # a person decides whether and how to act


# Actions that change what the customer gets: notice first, grace period, a way back.
DISRUPTIVE = frozenset({ActionKind.CONTAIN, ActionKind.SUSPEND, ActionKind.RATE_LIMIT})
# How much each action takes away, for "do less": an override to a lower number does less.
WEIGHT = {
    ActionKind.SUSPEND: 4,
    ActionKind.CONTAIN: 3,
    ActionKind.RATE_LIMIT: 2,
    ActionKind.ASK_APPROVAL: 1,
    ActionKind.REQUIRE_CLEANUP: 1,
    ActionKind.OPEN_CASE: 0,
    ActionKind.NOTIFY: 0,
}


class Severity(models.TextChoices):
    NOTICE = "notice", "Notice"  # routine ladder; three days' grace
    STANDARD = "standard", "Standard"  # urgent ladder; a day's grace
    URGENT = "urgent", "Urgent"  # critical ladder; six hours' grace
    EMERGENCY = "emergency", "Emergency"  # an active attack on others: act at once, notify at the same moment


class PolicyRule(models.Model):
    """One rule: when its trigger fires and its condition holds, it proposes an action on the unit."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True, help_text="Why the rule exists, in the provider's words")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    condition = models.TextField(help_text="CEL over event, unit, customer and history; true or false")
    action = models.CharField(max_length=20, choices=ActionKind.choices)
    params = models.JSONField(default=dict, blank=True, help_text='e.g. {"limit": "100 mails/hour"}')
    severity = models.CharField(max_length=12, choices=Severity.choices, default=Severity.STANDARD)
    grace_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Grace before a disruptive action; empty: the severity's default"
    )
    enabled = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["trigger", "enabled"], name="rule_by_trigger")]

    def __str__(self) -> str:
        return self.name


class RuleVersion(models.Model):
    """A rule as it was from one change to the next: decisions name the version that made them."""

    rule = models.ForeignKey(PolicyRule, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    condition = models.TextField()
    action = models.CharField(max_length=20, choices=ActionKind.choices)
    params = models.JSONField(default=dict, blank=True)
    severity = models.CharField(max_length=12, choices=Severity.choices)
    grace_minutes = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="one_row_per_rule_version")]
        ordering = ["rule", "-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class EventSource(models.TextChoices):
    API = "api", "API"  # posted by an integration or a person
    EMAIL = "email", "Email"  # an ARF abuse report read by intake
    SCANNER = "scanner", "Malware scanner"  # the provider's scanner
    BILLING = "billing", "Billing"  # the provider's billing system
    MONITORING = "monitoring", "Monitoring"  # alerts


class PolicyEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"  # stored as given; not yet judged
    JUDGED = "judged", "Judged"  # its unit found, its context stored, the rules run
    UNMATCHED = "unmatched", "Unit unknown"  # names no unit we know: kept and raised for a person
    UNREADABLE = "unreadable", "Unreadable"  # could not be read; kept raw and raised for a person


class PolicyEvent(models.Model):
    """Something a rule may judge, kept as it came and with the context it was judged in."""

    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    kind = models.CharField(
        max_length=40, blank=True, help_text="The sender's own word: scan, invoice_overdue..."
    )
    source = models.CharField(max_length=12, choices=EventSource.choices)
    received_at = models.DateTimeField()
    # Events of one report or scan share a batch: one notice and one case per customer, not one per unit.
    batch = models.CharField(max_length=120, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    payload = models.JSONField(
        default=dict, blank=True, help_text="Exactly what the sender gave, for the record"
    )
    raw_message = models.ForeignKey(
        "intake.RawMessage", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=PolicyEventStatus.choices, default=PolicyEventStatus.RECEIVED
    )
    problem = models.TextField(blank=True, help_text="Why it could not be judged")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "customers.ServiceUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The typed context the rules saw (event, unit, customer, history): what simulation replays.
    context = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["trigger", "received_at"], name="policy_event_by_trigger"),
            models.Index(fields=["unit", "trigger", "received_at"], name="policy_event_by_unit"),
            # The customer's own history of a trigger (history.same_customer_30d) without reading everyone's.
            models.Index(fields=["customer", "trigger", "received_at"], name="policy_event_by_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} #{self.pk}"


class DecisionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled after notice"  # the customer is being told; it runs when grace ends
    HELD = "held", "Held for a person"  # no working channel to give notice: a person decides
    PENDING_APPROVAL = "pending_approval", "Waiting for approval"  # the rule asked a person, or a widening
    APPLIED = "applied", "Applied"  # in force (or, for notify and cases, done)
    LIFTED = "lifted", "Lifted"  # was in force, undone: cleaned, paid, restored
    OVERRIDDEN = "overridden", "Overridden"  # a person set the proposal aside, with a reason
    WITHDRAWN = "withdrawn", "Withdrawn"  # no longer needed before it ran (cleaned in time, rejected)


class Decision(models.Model):
    """What one rule proposed for one unit after one event, and what became of it."""

    event = models.ForeignKey(PolicyEvent, on_delete=models.PROTECT, related_name="decisions")
    rule = models.ForeignKey(
        PolicyRule, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="decisions")
    unit = models.ForeignKey("customers.ServiceUnit", on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(max_length=20, choices=ActionKind.choices)
    params = models.JSONField(default=dict, blank=True)
    severity = models.CharField(max_length=12, choices=Severity.choices)
    status = models.CharField(max_length=20, choices=DecisionStatus.choices, default=DecisionStatus.SCHEDULED)
    emergency = models.BooleanField(default=False)
    # The engine's reasons in words: which unit and why not a wider one, when it runs and why then.
    why = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True, help_text="When a scheduled action runs")
    notification = models.ForeignKey(
        "notifications.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    # A person's decision that stands in for another: a widening to a parent, or a changed action.
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    decided_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Lifted, overridden or withdrawn")
    end_reason = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="scheduled"), name="decision_due"),
            models.Index(fields=["unit", "status"], name="decision_by_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.unit} ({self.get_status_display()})"

    @property
    def disruptive(self) -> bool:
        return self.action in DISRUPTIVE


class OverrideKind(models.TextChoices):
    DO_LESS = "do_less", "Do less"  # a milder action, or none
    DO_DIFFERENTLY = "do_differently", "Do differently"  # another action the rule did not propose
    DELAY = "delay", "Delay"  # the same action, later
    END = "end", "Lift or withdraw"  # a person ended the rule's action (restored the unit) before its time
    GOODWILL = "goodwill", "Goodwill"  # beyond the contract: credit, extension, free restore


class GoodwillKind(models.TextChoices):
    CREDIT = "credit", "Credit"  # money off the next invoice
    EXTENSION = "extension", "Payment extension"  # more days to pay before anything happens
    FREE_RESTORE = "free_restore", "Free restore"  # a restore the plan does not include


class Override(models.Model):
    """A person breaking a rule on the record: who, what, why, what it was before; reversible."""

    kind = models.CharField(max_length=20, choices=OverrideKind.choices)
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="overrides"
    )
    rule = models.ForeignKey(
        PolicyRule, null=True, blank=True, on_delete=models.PROTECT, related_name="overrides"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="overrides")
    reason = models.TextField()
    goodwill = models.CharField(max_length=20, choices=GoodwillKind.choices, blank=True)
    value = models.DecimalField(max_digits=10, decimal_places=2, default=0, help_text="What it costs us")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverse_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["agent", "created_at"], name="override_by_agent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.agent}"
