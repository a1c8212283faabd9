"""Measures from the customer's side of the counter, kept as two pre-aggregates over the events.

A `Problem` is one customer problem as they lived it: a case with every case merged into it, from the
customer's clock start to their confirmation. A `Contact` is one inbound contact of a customer, classified as
value demand or failure demand. Both are rebuilt for the cases an event touched (refresh.py), so that
incremental upkeep and a rebuild from scratch give the same rows (a test proves it). Only the class of a
contact is ever written by a person (a correction, with its event); everything else is derived.
"""

from django.db import models
from django.db.models import Q


class Outcome(models.TextChoices):
    OPEN = "open", "Still open"  # the customer still has the problem, as far as we know
    CONFIRMED = "confirmed", "Confirmed fixed"  # the customer answered "yes, it works"
    UNCONFIRMED = "unconfirmed", "Closed unconfirmed"  # we asked and heard nothing: counted apart
    CLOSED = (
        "closed",
        "Closed",
    )  # a person closed it without asking (the customer said so in words, or no fix)


VALUE = "value"  # the word for "not failure demand" where a failure type is asked for (forms, API, labels)


class FailureType(models.TextChoices):
    CHASING = "chasing", "Chasing progress"  # we were silent longer than we promised
    STILL_BROKEN = "still_broken", "Still broken after we said fixed"  # our fix did not hold
    REPEAT = "repeat", "Repeat within 30 days"  # the same unit's problem we closed came back
    DURING_INCIDENT = "during_incident", "During an incident, before we told them"  # they found it first
    CUT_OFF = "cut_off", "Why was I cut off"  # an action of ours on their service, felt before explained
    OUR_ERROR = "our_error", "Our own error"  # a wrong bill, a wrong change, a promise we broke


class Problem(models.Model):
    # The root case (never merged into another); the cases merged into it are part of the same problem.
    case = models.OneToOneField("cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=20, blank=True)
    topic = models.ForeignKey("agents.Skill", null=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey("agents.Agent", null=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("agents.Team", null=True, on_delete=models.SET_NULL, related_name="+")
    # The customer's clock: the earliest start any of its cases was given.
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    # From the customer's clock start to finished_at; null while open.
    minutes = models.FloatField(null=True)
    contacts = models.PositiveIntegerField(default=0)  # the customer's inbound contacts, every channel
    failure_contacts = models.PositiveIntegerField(default=0)
    proactive = models.BooleanField(default=False)  # we told them before they told us
    reopened = models.BooleanField(default=False)
    first_contact = models.BooleanField(default=False)  # resolved on the one contact, never reopened
    # The Monday of the week it finished: the weekly charts' bucket.
    week = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["week"], condition=Q(week__isnull=False), name="problem_week"),
            models.Index(fields=["customer", "started_at"], name="problem_customer"),
            models.Index(fields=["topic"], condition=Q(outcome="open"), name="problem_open"),
        ]

    def __str__(self) -> str:
        return f"problem of case {self.case_id} ({self.outcome})"


class WeekFigure(models.Model):
    """One week's sums for one slice (all customers, or one topic, team, agent or tier): what the charts and
    the headline figures add up, so that a page over a million problems reads a few hundred rows. Kept by
    cells.py for the weeks a refresh touched; a customer's own figures are read from their problems."""

    week = models.DateField()
    by = models.CharField(max_length=8, blank=True)  # "", topic, team, agent, tier
    value = models.CharField(max_length=40, blank=True)  # the topic's, team's or agent's id, or the tier
    finished = models.PositiveIntegerField(default=0)  # problems confirmed or closed this week
    unconfirmed = models.PositiveIntegerField(default=0)
    minutes = models.FloatField(default=0)  # their end-to-end minutes, summed
    finished_contacts = models.PositiveIntegerField(default=0)  # their contacts, summed
    first_contact = models.PositiveIntegerField(default=0)
    ended = models.PositiveIntegerField(default=0)  # every problem that ended this week, unconfirmed too
    reopened = models.PositiveIntegerField(default=0)
    proactive = models.PositiveIntegerField(default=0)
    contacts = models.PositiveIntegerField(default=0)  # inbound contacts this week
    failed = models.PositiveIntegerField(default=0)  # of them, failure demand
    by_type = models.JSONField(default=dict)  # failure type -> contacts
    histogram = models.JSONField(default=dict)  # end-to-end minutes: bucket (cells.bucket) -> problems

    class Meta:
        constraints = [models.UniqueConstraint(fields=["by", "value", "week"], name="week_figure_once")]

    def __str__(self) -> str:
        return f"{self.by or 'all'}={self.value} {self.week}"


class DemandRule(models.Model):
    """A failure-demand rule as data: a CEL condition over one contact (schema.py). The first enabled rule,
    in position order, whose condition holds decides the contact's failure type; none: value demand."""

    name = models.CharField(max_length=100, unique=True)
    condition = models.TextField()
    failure_type = models.CharField(max_length=20, choices=FailureType.choices)
    position = models.PositiveSmallIntegerField(default=100)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey("agents.Agent", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    message = models.OneToOneField(
        "cases.Message", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="contact_rows")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    channel = models.CharField(max_length=12)
    failure_type = models.CharField(max_length=20, choices=FailureType.choices, blank=True)  # blank: value
    rule = models.ForeignKey(DemandRule, null=True, on_delete=models.SET_NULL, related_name="+")
    # What the rules said, kept beside a person's correction: the rules' agreement with people is measured.
    rules_said = models.CharField(max_length=20, blank=True)
    corrected = models.BooleanField(default=False)  # failure_type is a person's (a Correction)
    by_words = models.BooleanField(default=False)  # no rule fired; the words model named the failure
    # Monday of its week.
    week = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["week"], name="contact_week"),
            models.Index(fields=["problem"], condition=Q(corrected=True), name="contact_corrected"),
        ]

    def __str__(self) -> str:
        return f"contact {self.message_id}: {self.failure_type or 'value'}"


class Correction(models.Model):
    """A person's word on a contact's class: it outranks the rules, is an event, and is the rules' (and a
    future classifier's) training data."""

    message = models.OneToOneField(
        "cases.Message", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    failure_type = models.CharField(max_length=20, choices=FailureType.choices, blank=True)  # blank: value
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey("agents.Agent", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"message {self.message_id}: {self.failure_type or 'value'}"


class WordsModel(models.Model):
    """A classifier of the customer's words, trained on people's corrections (learned.py): where no rule
    fires and it is sure, it names the failure. The newest one is used."""

    trained_at = models.DateTimeField()
    trained_by = models.ForeignKey("agents.Agent", null=True, on_delete=models.SET_NULL, related_name="+")
    corrections = models.PositiveIntegerField()
    accuracy = models.FloatField(null=True)  # on a quarter held out, when there were enough corrections
    blob = models.BinaryField()  # the fitted scikit-learn pipeline, pickled: only ever written by train()

    def __str__(self) -> str:
        return f"words model of {self.trained_at:%Y-%m-%d} ({self.corrections} corrections)"


class Baseline(models.Model):
    """The weeks a chart's limits are computed from. Limits move only when a person explains a signal and
    chooses a new baseline; the explanation stays with it."""

    chart = models.CharField(max_length=120)  # measure and slice: "failure_share|topic=web-hosting"
    first_week = models.DateField()
    last_week = models.DateField()
    explanation = models.TextField()
    set_at = models.DateTimeField()
    set_by = models.ForeignKey("agents.Agent", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["chart", "set_at"], name="baseline_chart")]

    def __str__(self) -> str:
        return f"{self.chart} from {self.first_week} to {self.last_week}"


class Watermark(models.Model):
    """The last event the pre-aggregates have taken in: one row."""

    last_event_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"events up to {self.last_event_id}"


class ImprovementStatus(models.TextChoices):
    OPEN = "open", "Open"  # someone is finding out what the signal means
    DONE = "done", "Done"  # explained, and what was changed (or why nothing) is written down


class Improvement(models.Model):
    """Work on the system, opened from a chart's signal: the chart as it was is its evidence."""

    title = models.CharField(max_length=200)
    chart = models.CharField(max_length=120)
    signal_week = models.DateField()
    signal = models.CharField(max_length=200)  # the detection rules the week shows
    evidence_svg = models.TextField()  # the chart as it looked when the improvement was opened
    evidence_csv = models.TextField()  # and its data
    owner = models.ForeignKey("agents.Agent", null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=ImprovementStatus.choices, default=ImprovementStatus.OPEN)
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey("agents.Agent", null=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.title
