"""Correlation: grouping rules (data, in CEL), what each rule saw (sightings), and the groups it found
(proposals), each with the words that say why.

A rule looks at every new case, once per upstream element the case's units run on (or once, by its words,
for a rule that groups by words). Sightings of one rule with one key inside the rule's window are a group;
when there are enough of them the rule proposes an incident, opens it itself, or (in shadow mode) only
writes down what it would have done.
"""

from django.db import models
from django.db.models import Q


class GroupBy(models.TextChoices):
    UPSTREAM = "upstream", "Same upstream element"  # the relay, switch or server the cases' units run on
    WORDS = "words", "Similar words"  # where no unit is named: the words of the customers' messages


class RuleMode(models.TextChoices):
    OFF = "off", "Off"  # looks at nothing
    SHADOW = "shadow", "Shadow"  # records what it would have grouped; proposes, links and tells nobody
    ON = "on", "On"  # proposes to a lead, or opens the incident itself


class GroupingRule(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    condition = models.TextField(
        help_text="CEL over case, customer and element: which cases this rule counts"
    )
    group_by = models.CharField(max_length=10, choices=GroupBy.choices, default=GroupBy.UPSTREAM)
    window_minutes = models.PositiveIntegerField(default=15)
    min_count = models.PositiveIntegerField(default=5, help_text="Cases in the window before it acts")
    needs_approval = models.BooleanField(default=True, help_text="A lead accepts before an incident opens")
    mode = models.CharField(max_length=10, choices=RuleMode.choices, default=RuleMode.SHADOW)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class ProposalState(models.TextChoices):
    SHADOW = "shadow", "Recorded in shadow"  # a shadow rule's group: nothing was done with it
    PENDING = "pending", "Waiting for a lead"  # enough cases to propose; a lead accepts or declines
    OPENED = "opened", "Incident opened"  # accepted, or opened by the rule itself; later cases join it
    DECLINED = "declined", "Declined"  # a lead said this is not one incident
    GATHERING = "gathering", "Gathering"  # fewer cases than the rule's minimum so far


class Proposal(models.Model):
    """One rule's group for one key (an upstream element, or a cluster of similar words) in one window."""

    rule = models.ForeignKey(GroupingRule, on_delete=models.CASCADE, related_name="proposals")
    key = models.CharField(max_length=120)
    label = models.CharField(max_length=200, help_text="The shared thing, in words: relay smtp-2")
    state = models.CharField(max_length=10, choices=ProposalState.choices, default=ProposalState.GATHERING)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    customers = models.PositiveIntegerField(default=0)
    proposed_at = models.DateTimeField(null=True, blank=True)
    why = models.TextField(blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["rule", "key", "last_seen_at"], name="proposal_key")]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.key}"


class Sighting(models.Model):
    """A case a rule counted, under which key: the members of the rule's groups."""

    rule = models.ForeignKey(GroupingRule, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="sightings")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    customer_id = models.BigIntegerField()
    seen_at = models.DateTimeField()
    words = models.JSONField(default=list, blank=True, help_text="A words rule's signature of the case")

    class Meta:
        indexes = [
            models.Index(fields=["rule", "seen_at"], name="sighting_recent"),
            models.Index(fields=["case"], name="sighting_case"),
            models.Index(fields=["proposal", "seen_at"], name="sighting_window"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "case"], name="sighted_once"),
        ]

    def __str__(self) -> str:
        return f"case {self.case_id} in {self.proposal_id}"


OPEN_PROPOSALS = Q(state__in=[ProposalState.GATHERING, ProposalState.PENDING, ProposalState.SHADOW])
