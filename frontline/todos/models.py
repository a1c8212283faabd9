"""Work for a person at the provider that no case status captures: fix a contact, call someone back.

Named to-do, not task: Django's tasks are the background jobs.
"""

from django.db import models
from django.db.models import Q

from frontline.core.vocabulary import Vocabulary


class ToDoKind(models.TextChoices):
    FIX_CONTACT = "fix_contact", "Fix a contact point"  # a delivery failed permanently; find a working one
    CALL_BACK = "call_back", "Call the customer back"  # we promised a call by a time
    REVIEW_MESSAGE = "review_message", "Review a message"  # intake could not read it; a person decides
    NOTIFY_CALL = "notify_call", "Call to tell them"  # a notification's last rung: no channel got an answer
    DECIDE_ACTION = "decide_action", "Decide on an action"  # a rule's action is held or waits for approval
    REVIEW_EVENT = (
        "review_event",
        "Review a policy event",
    )  # an abuse report or scan we could not match or read


# The kinds above, and any an app declares for itself (`TODO_KINDS.declare(value, label)`).
TODO_KINDS = Vocabulary("to-do", ToDoKind)


class ToDoStatus(models.TextChoices):
    OPEN = "open", "Open"  # still to do
    DONE = "done", "Done"  # somebody did it, and said how
    CANCELLED = "cancelled", "Cancelled"  # no longer needed (e.g. the contact was fixed another way)


class ToDo(models.Model):
    kind = models.CharField(max_length=32)  # one of TODO_KINDS: an app's new kind needs no migration here
    title = models.CharField(max_length=255)
    detail = models.TextField(blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="todos"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="todos"
    )
    contact_point = models.ForeignKey(
        "customers.ContactPoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="todos"
    )
    assignee = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="todos"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ToDoStatus.choices, default=ToDoStatus.OPEN)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.TextField(blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at", "id"], condition=Q(status="open"), name="todo_open_by_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        return TODO_KINDS.label(self.kind)
