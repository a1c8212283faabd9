"""The single history: every state change in Frontline writes one typed, append-only event.

The case timeline, the audit trail and (later) the measures are queries over this table.
"""

import re

from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL

from frontline.core.vocabulary import Vocabulary


class EventKind(models.TextChoices):
    # customers
    CUSTOMER_CREATED = "customer.created", "Customer created"  # a new account, with plan and tier
    CUSTOMER_UPDATED = "customer.updated", "Customer updated"  # plan, tier, value or notes changed
    PERSON_ADDED = "person.added", "Person added"  # a person now acts for an account
    PERSON_LINKED = "person.linked", "Person linked"  # an existing person linked to another account
    CONTACT_ADDED = "contact.added", "Contact point added"  # a new address or number, unverified
    CONTACT_VERIFIED = "contact.verified", "Contact point verified"  # the owner proved it reaches them
    CONTACT_FAILING = "contact.failing", "Contact point failing"  # a delivery to it failed permanently
    CONTACT_RETIRED = "contact.retired", "Contact point retired"  # its owner said it no longer reaches them
    UNIT_ADDED = "unit.added", "Service unit added"  # a server, site, line... now exists
    UNIT_STATE_CHANGED = "unit.state_changed", "Service unit state changed"  # ok/degraded/down/...
    # cases
    CASE_OPENED = "case.opened", "Case opened"  # a new customer problem
    # an unproven sender's claim was proven: by their emailed link, or a person vouched for them
    IDENTITY_PROVEN = "case.identity_proven", "Sender proven"
    MESSAGE_RECEIVED = "case.message_received", "Message received"  # a contact from the customer
    REPLY_SENT = "case.reply_sent", "Reply sent"  # an agent's reply handed to the transport
    REPLY_FAILED = "case.reply_failed", "Reply failed"  # the transport refused the reply
    NOTE_ADDED = "case.note_added", "Internal note"  # visible to staff only
    CASE_ASSIGNED = "case.assigned", "Case assigned"  # owner changed (or cleared)
    STATUS_CHANGED = "case.status_changed", "Status changed"  # any status transition
    CASE_REOPENED = "case.reopened", "Case reopened"  # a resolved/closed case came back
    PRIORITY_CHANGED = "case.priority_changed", "Priority recomputed"  # score moved noticeably
    ACKNOWLEDGED = "case.acknowledged", "Customer told we have it"  # the short note with the case reference
    CASES_MERGED = "case.merged", "Cases merged"  # another case about the same problem was folded in
    MESSAGE_SPLIT = "case.message_split", "Message split off"  # a message was moved to a case of its own
    CALL_LOGGED = "case.call_logged", "Call logged"  # an agent called the customer (or tried to)
    CALLBACK_PROMISED = "case.callback_promised", "Callback promised"  # we said we would call by a time
    CALLBACK_KEPT = "case.callback_kept", "Callback kept"  # we called within the promise
    CALLBACK_MISSED = "case.callback_missed", "Callback missed"  # the promised time passed: failure demand
    PRIORITY_OVERRIDDEN = "case.priority_overridden", "Priority overridden"  # a person adjusted the score
    DEMAND_RECORDED = "case.demand_recorded", "Failure demand recorded"  # a chaser or a repeat: we failed
    TOPIC_SET = "case.topic_set", "Topic set"  # the router classified the case, or a person corrected it
    CASE_ROUTED = "case.routed", "Case routed"  # the router chose an owner, or sent it to triage, and why
    # intake and delivery
    INTAKE_QUARANTINED = "intake.quarantined", "Message quarantined"  # could not be read; kept raw
    INTAKE_REPROCESSED = "intake.reprocessed", "Message re-processed"  # a person sent it through again
    DELIVERY_REPORTED = "delivery.reported", "Delivery report"  # a bounce or delay notice for a send of ours
    TODO_RAISED = "todo.raised", "To-do raised"  # work for a person: fix a contact, call back
    TODO_DONE = "todo.done", "To-do done"  # somebody did it (or it is no longer needed)
    # notifications
    NOTIFICATION_STARTED = "notification.started", "Notification started"  # a ladder began
    NOTIFICATION_ACKNOWLEDGED = "notification.acknowledged", "Notification acknowledged"  # someone confirmed
    NOTIFICATION_EXHAUSTED = "notification.exhausted", "Notification unanswered"  # every rung tried
    NOTIFICATION_CANCELLED = "notification.cancelled", "Notification withdrawn"  # the provider stopped it
    FANOUT_STARTED = "notification.fanout", "Fan-out started"  # one notice to every affected customer
    CONTACT_VERIFICATION_SENT = "contact.verification_sent", "Verification sent"  # asked the owner to confirm
    # policy
    RULE_CHANGED = "policy.rule_changed", "Rule changed"  # a rule was written or changed: a new version
    POLICY_EVENT_RECEIVED = "policy.event_received", "Policy event received"  # abuse report, scan, billing...
    POLICY_EVENT_UNMATCHED = "policy.event_unmatched", "Policy event not matched"  # names no unit we know
    DECISION_MADE = (
        "policy.decision_made",
        "Rule decision",
    )  # a rule proposed an action, and what the engine did
    DECISION_APPLIED = "policy.decision_applied", "Action applied"  # the action is in force on the unit
    DECISION_LIFTED = "policy.decision_lifted", "Action lifted"  # the unit is back: cleaned, paid, restored
    DECISION_WITHDRAWN = "policy.decision_withdrawn", "Action withdrawn"  # dropped before it ran
    DECISION_HELD = "policy.decision_held", "Action held"  # no working channel: a person decides
    DECISION_WIDENED = (
        "policy.decision_widened",
        "Action widened",
    )  # a person chose a wider unit, with a reason
    OVERRIDE_RECORDED = (
        "policy.override",
        "Rule overridden",
    )  # a person did less, otherwise, later, or goodwill
    OVERRIDE_REVERSED = "policy.override_reversed", "Override reversed"  # an override undone, with a reason
    # routing
    ROUTER_TRAINED = "routing.trained", "Router trained"  # a new topic model version from resolved cases
    # agents
    AGENT_CREATED = "agent.created", "Agent created"  # a staff member can sign in
    AGENT_ROLE_CHANGED = "agent.role_changed", "Agent role changed"  # authority changed
    API_TOKEN_ISSUED = "agent.token_issued", "API token issued"  # an integration may act as this agent
    API_TOKEN_REVOKED = "agent.token_revoked", "API token revoked"  # that integration no longer may
    # an admin said whether this token's abuse reports may justify acting before notice
    API_TOKEN_TRUST_CHANGED = "agent.token_trust_changed", "API token's reporter trust changed"


# The core kinds above, and any an app declares in its events.py (`EVENT_KINDS.declare(value, label)`).
EVENT_KINDS = Vocabulary("event", EventKind)


class ActorKind(models.TextChoices):
    STAFF = "staff", "Staff"  # an agent of the provider, signed in or through an API token
    CUSTOMER = "customer", "Customer"  # a person of the customer, by their own channel or the portal
    RULE = "rule", "Rule"  # a policy rule acted (actor_label names it)
    SYSTEM = "system", "System"  # the worker, a command, a channel's listener


class AppendOnlyError(Exception):
    """Events are evidence: they are never changed or deleted."""


GROUPING_LABELS = ["case.merged", "case.message_split", "incident.case_linked", "incident.case_detached"]
CUSTOMER_ACTIONS = EventKind.DECISION_APPLIED.value  # our actions on a customer's units: indexed apart


def of_kinds(*kinds: str) -> RawSQL:
    """A filter on several kinds with the kinds written into the statement, not bound: a database reads a
    partial index only where it sees that the query's condition is the index's, and SQLite sees through a
    bound `kind = ?` but not a bound `kind IN (?, ?)`. For the kinds a partial index below names; they are our
    constants, and anything else is refused rather than written into SQL."""
    if not kinds or not all(_KIND_TEXT.fullmatch(kind) for kind in kinds):
        raise ValueError(f"not event kinds: {kinds!r}")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    return RawSQL(f"kind IN ({listed})", [], output_field=models.BooleanField())


_KIND_TEXT = re.compile(r"[a-z_]+(\.[a-z_]+)+")


class Event(models.Model):
    # One of EVENT_KINDS: plain text, so an app's new kind needs no migration here.
    kind = models.CharField(max_length=40)
    at = models.DateTimeField()
    # Who did it: an agent, a person of the customer, or a label for the system, a channel or a rule
    # ("worker", "email", "rule:12").
    actor = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    actor_person = models.ForeignKey(
        "customers.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    actor_label = models.CharField(max_length=80, blank=True)
    via = models.CharField(max_length=20, blank=True, help_text="Channel or path: web, api, email, worker...")
    # Foreign keys are indexed only through the timeline indexes below: every event is written once and
    # read by subject and time, and each index more is paid on every write.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    unit = models.ForeignKey(
        "customers.ServiceUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["case", "at", "id"], name="event_case_timeline"),
            models.Index(fields=["customer", "at", "id"], name="event_customer_timeline"),
            # Most events name no unit; only those that do are indexed.
            models.Index(fields=["unit", "at"], name="event_unit_timeline", condition=Q(unit__isnull=False)),
            # The labels grouping is judged by (correlation/quality.py reads them from all of history, in
            # time order, for its page): merges, splits, and people's links to and from incidents. A small
            # share of events, so only those rows are indexed. (Kinds as text: incidents declares two.)
            models.Index(
                fields=["at", "id"],
                name="event_grouping_labels",
                condition=Q(kind__in=GROUPING_LABELS),
            ),
            # Our actions on customers' units, by customer (measures/derive.py: a contact soon after one is
            # failure demand): a few rows among each customer's hundreds of events, which the customer
            # timeline index would read all of (10 s for 2,000 customers at 50 million events).
            models.Index(
                fields=["customer", "at"],
                name="event_customer_actions",
                condition=Q(kind=CUSTOMER_ACTIONS),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("events cannot be deleted")

    @property
    def label(self) -> str:
        return EVENT_KINDS.label(self.kind)

    @property
    def actor_kind(self) -> str:
        if self.actor_id:
            return ActorKind.STAFF
        if self.actor_person_id:
            return ActorKind.CUSTOMER
        return ActorKind.RULE if self.actor_label.startswith("rule") else ActorKind.SYSTEM

    @property
    def who(self) -> str:
        if self.actor_id:
            return str(self.actor)
        if self.actor_label:  # the channel's own words for the sender ("sam@example.net"), as they wrote
            return self.actor_label
        return str(self.actor_person) if self.actor_person_id else "system"
