"""A case is one customer problem, whatever channels it arrives through."""

from django.db import models
from django.db.models import Q
from django.utils.formats import get_format

from frontline.core.db import text_id


class CaseStatus(models.TextChoices):
    NEW = "new", "New"  # nobody has answered yet
    OPEN = "open", "Open"  # someone at the provider is working it
    WAITING_PROVIDER = "waiting_provider", "Waiting on provider"  # on another team or supplier of ours
    WAITING_CUSTOMER = "waiting_customer", "Waiting on customer"  # we asked the customer something
    RESOLVED = "resolved", "Resolved, awaiting confirmation"  # we think it is fixed; the customer confirms
    CLOSED = "closed", "Closed"  # confirmed, or nothing more to do

    @classmethod
    def open_values(cls) -> frozenset[str]:
        """Statuses that still need work from someone, so the case belongs in the inbox."""
        return frozenset({cls.NEW, cls.OPEN, cls.WAITING_PROVIDER, cls.WAITING_CUSTOMER})


class Impact(models.TextChoices):
    DOWN = "down", "Down"  # the service does not work at all for the customer
    DEGRADED = "degraded", "Degraded"  # works badly: slow, errors, part of it
    QUESTION = "question", "Question or request"  # nothing broken; they need something from us


class DemandType(models.TextChoices):
    VALUE = "value", "Value demand"  # what the customer wants from us in the first place
    FAILURE = "failure", "Failure demand"  # caused by our failing to do something or do it right


class Case(models.Model):
    # Indexed through case_by_customer below.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    requester = models.ForeignKey(
        "customers.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    subject = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW)
    # Denormalised from status so that every inbox query runs on one partial index.
    is_open = models.BooleanField(default=True)
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.QUESTION)
    # Who a sender on an unproven public channel (a chat without a signed identity) claims to be, until the
    # claim is proven (their emailed link, or a person vouching). Such a case never joins another, and the
    # page says so: a stranger must not be taken for the customer.
    unproven_claim = models.CharField(max_length=255, blank=True)
    demand_type = models.CharField(max_length=10, choices=DemandType.choices, default=DemandType.VALUE)
    failure_reason = models.CharField(
        max_length=80, blank=True, help_text="Which failure, for failure demand"
    )
    topic = models.ForeignKey(
        "agents.Skill", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    assignee = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    affected_units = models.ManyToManyField("customers.ServiceUnit", blank=True, related_name="cases")
    # A number, never a label: recomputed from impact and the customer's clock (see cases/priority.py).
    priority = models.FloatField(default=0)
    priority_explanation = models.JSONField(default=list, blank=True)
    # The customer's clock: when the problem started for them, not when we made a record of it.
    problem_started_at = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_customer_contact_at = models.DateTimeField(null=True, blank=True)
    last_provider_contact_at = models.DateTimeField(null=True, blank=True)
    # The customer's first contact we have not answered yet: their wait for us runs from here, and a chaser
    # does not restart it. Null while nothing of theirs waits for an answer.
    awaiting_answer_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution_notes = models.TextField(blank=True, help_text="How it was solved, for whoever meets it next")
    reopen_count = models.PositiveSmallIntegerField(default=0)
    # Set when an agent merged this case into another: later contacts follow the merge there.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )
    # When we last told the customer we have this case (the note was queued): one note, not one per message.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # A promise we made: "we will call you back by ...". A clock on the case; missed, it is failure demand.
    callback_due_at = models.DateTimeField(null=True, blank=True)
    # End users and sites that hang off the affected units (their end_users summed): how many it hurts.
    affected_reach = models.PositiveIntegerField(default=0)
    # Contacts that came after we had been silent longer than the response clock allowed (cases/demand.py).
    chaser_count = models.PositiveSmallIntegerField(default=0)
    # The earlier case about the same unit, closed within 30 days before this one opened: we did not fix it.
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats", db_index=False
    )
    # A person's adjustment of the score, with a reason, that stops counting at `until` (cases/priority.py).
    priority_override_points = models.FloatField(null=True, blank=True)
    priority_override_reason = models.CharField(max_length=255, blank=True)
    priority_override_until = models.DateTimeField(null=True, blank=True)
    priority_override_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # How sure the router was of the topic (None: a person chose it, or nobody has).
    topic_confidence = models.FloatField(null=True, blank=True)
    # Why the case went to its owner (or to triage): the candidates and their terms (routing/services.py).
    routing_explanation = models.JSONField(default=dict, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    # When our next answer to the customer is due: set by an unanswered contact, cleared by our answer.
    response_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["priority", "id"], condition=Q(is_open=True), name="case_inbox"),
            models.Index(
                fields=["assignee", "priority", "id"], condition=Q(is_open=True), name="case_inbox_owner"
            ),
            models.Index(
                fields=["topic", "priority", "id"], condition=Q(is_open=True), name="case_inbox_topic"
            ),
            models.Index(fields=["status", "priority", "id"], name="case_by_status"),
            models.Index(fields=["customer", "created_at"], name="case_by_customer"),
            models.Index(fields=["response_due_at"], condition=Q(is_open=True), name="case_response_due"),
            # Failures a customer suffered lately (a priority term): a few rows, not a scan of every case.
            models.Index(
                fields=["created_at", "customer"],
                condition=Q(demand_type="failure"),
                name="case_failure_demand",
            ),
            # Repeats and people's score adjustments are a few cases among many: only those rows are
            # indexed (for the case page's repeats and the checks a deletion makes), not every new case.
            models.Index(fields=["repeat_of"], condition=Q(repeat_of__isnull=False), name="case_repeats"),
            models.Index(
                fields=["priority_override_by"],
                condition=Q(priority_override_by__isnull=False),
                name="case_overridden_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.subject}"

    @property
    def ref(self) -> str:
        return f"C-{self.pk}"

    @property
    def url(self) -> str:
        # Built, not reversed: the inbox shows fifty of these and reverse() costs more than the row.
        return f"/cases/{self.ref}/"

    @property
    def priority_reasons(self) -> str:
        """The priority's terms, "reason: points" a line each, for the inbox's tooltip: one value for the
        template to render on each of fifty rows, where a loop of lookups cost a quarter of the page."""
        point = get_format("DECIMAL_SEPARATOR")  # as `localize` writes a float, once for all the terms
        terms = self.priority_explanation or ()
        return "\n".join(f"{term['reason']}: {str(term['points']).replace('.', point)}" for term in terms)

    @staticmethod
    def pk_from_ref(ref: str) -> int | None:
        """'C-123', 'c-123' or '123' -> 123; anything else -> None."""
        return text_id(ref.strip().upper().removeprefix("C-"))


class Channel(models.TextChoices):
    EMAIL = "email", "Email"  # mail in or out
    CHAT = "chat", "Chat"  # live chat
    PHONE = "phone", "Phone"  # a call, logged by an agent
    SMS = "sms", "SMS"  # a text message from the customer's phone
    WEB = "web", "Web form"  # the public form
    API = "api", "API"  # an integration
    MONITORING = "monitoring", "Monitoring"  # an alert that opened or joined the case
    NOTE = "note", "Internal note"  # staff only, never sent


class Direction(models.TextChoices):
    INBOUND = "in", "From customer"  # the customer (or their systems) to us
    OUTBOUND = "out", "To customer"  # us to the customer
    INTERNAL = "internal", "Internal"  # between staff


class Message(models.Model):
    """One contact in or out on any channel. Raw source kept as received or sent, for evidence."""

    # Indexed through message_case_timeline below.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages", db_index=False)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    author_agent = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_person = models.ForeignKey(
        "customers.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    sender = models.CharField(
        max_length=255, blank=True, help_text="Address or number as the channel gave it"
    )
    recipients = models.TextField(blank=True)
    subject = models.CharField(max_length=255, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, help_text="Sanitised HTML, safe to show; the original is raw")
    raw_source = models.BinaryField(blank=True, default=b"", editable=False)
    message_id = models.CharField(max_length=255, blank=True)  # indexed in Meta, for equality
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.TextField(blank=True)
    # How intake put this message on this case: "reference", "reply", "similar"... and how sure it was.
    thread_rule = models.CharField(max_length=20, blank=True)
    thread_confidence = models.FloatField(null=True, blank=True)
    thread_reason = models.CharField(max_length=255, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True, help_text="Length of a phone call")
    # A contact that came only because we had been silent too long: failure demand (cases/demand.py).
    is_chaser = models.BooleanField(default=False)
    # Where the newest reply starts and ends in body_text, worked out once when the mail was read
    # (intake/display.py): the page shows body_text[fold_before:fold_at] and folds the rest (the quote a
    # bottom-posted answer answers above it; quotes and signature below). Null: fold nothing on that side,
    # or, both null, not worked out (messages from before, other channels): the page works it out itself.
    fold_before = models.PositiveIntegerField(null=True, blank=True)
    fold_at = models.PositiveIntegerField(null=True, blank=True)
    # What an agent's reply started from: "saved:<id>" (a saved reply) or "case:C-<n>" (how a similar case
    # was solved); blank for anything else. The saved replies' measures read it.
    origin = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["case", "created_at", "id"], name="message_case_timeline"),
            # Only replies started from something: intake's messages never enter it.
            models.Index(fields=["origin"], condition=~Q(origin=""), name="message_origin"),
            # Threading looks Message-IDs up by equality; db_index would add a LIKE copy (core/schema.py).
            models.Index(fields=["message_id"], name="message_by_message_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_direction_display().lower()} on {self.case.ref}"


class Attachment(models.Model):
    """A file that came with a message, stored under the data directory, never expanded or run."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=255, help_text="Relative to the attachments directory")
    content_id = models.CharField(max_length=255, blank=True, help_text="For images shown inline in HTML")
    inline = models.BooleanField(default=False)
    # When the retention setting removed the file (FRONTLINE_KEEP_ATTACHMENTS_DAYS): name, type, size and
    # digest stay, so the message still says what came with it.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Files are stored by content: one file may serve several rows, and is removed with the last.
        indexes = [models.Index(fields=["sha256"], name="attachment_by_digest")]

    def __str__(self) -> str:
        return self.filename


class CallbackDue(models.Model):
    """The timer of a callback we promised: a row the recurring job `check_callbacks` takes when its time
    comes, and judges the promise kept or missed (cases/calls.py). In the database, not in the task queue:
    a job put off for hours in Redis would be lost with Redis, and the missed promise never noticed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    due_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="callback_due_by_time")]

    def __str__(self) -> str:
        return f"callback on case {self.case_id} due {self.due_at:%Y-%m-%d %H:%M}"
