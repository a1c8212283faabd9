"""What arrives, kept exactly as it arrived, before anything interprets it.

Every channel (mail by SMTP, IMAP or import; the API; the web form; chat; phone notes) first writes a
`RawMessage` with the bytes it was given, then the pipeline interprets it into a case message. A message
that cannot be interpreted stays here, quarantined with its reason, until someone re-processes it.
"""

from django.db import models
from django.db.models import Q


class Source(models.TextChoices):
    SMTP = "smtp", "SMTP listener"  # an MTA delivered it to `frontline smtpd`
    IMAP = "imap", "IMAP mailbox"  # fetched by `frontline imap-poll`
    IMPORT = "import", "Mail import"  # `frontline import-mail` from .eml, Maildir or mbox
    API = "api", "API"  # POST /api/v1/messages
    WEB_FORM = "web_form", "Web form"  # the public contact form
    CHAT = "chat", "Chat"  # the chat widget
    PHONE = "phone", "Phone note"  # an agent logged a call
    SMS = "sms", "SMS"  # the SMS provider's inbound webhook (a reply to our text)
    PORTAL = "portal", "Customer portal"  # a signed-in customer wrote on their case, files attached


class RawStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be read"  # stored; the pipeline has not interpreted it yet
    PROCESSED = "processed", "On a case"  # opened or joined a case
    DUPLICATE = "duplicate", "Duplicate"  # the same message delivered again; kept, not repeated on the case
    IGNORED = "ignored", "Not a customer contact"  # auto-reply, mailing list, our own mail come back
    REPORT = "report", "Delivery report"  # a bounce or delay notice, matched to the attempt it answers
    UNCONFIRMED = "unconfirmed", "Awaiting confirmation"  # web form from an address not yet confirmed
    ACKNOWLEDGEMENT = "acknowledged", "Acknowledged a notification"  # "OK" by SMS: stops a ladder, no case
    POLICY = "policy", "Policy event"  # an abuse report (ARF): judged by the policy rules, not a case
    QUARANTINED = "quarantined", "Quarantined"  # could not be interpreted; a person looks, then re-processes


class RawMessage(models.Model):
    source = models.CharField(max_length=10, choices=Source.choices)
    channel = models.CharField(max_length=12)  # a cases.Channel value
    received_at = models.DateTimeField()
    envelope_sender = models.CharField(max_length=255, blank=True)
    envelope_recipients = models.TextField(blank=True)
    raw = models.BinaryField(help_text="Exactly the bytes we were given")
    size = models.PositiveIntegerField()
    header_message_id = models.CharField(
        max_length=255, blank=True, help_text="The Message-ID header, for mail"
    )
    body_digest = models.CharField(max_length=64, blank=True)
    # Client-supplied key of the API: the same key twice is the same message, answered the same way.
    idempotency_key = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=RawStatus.choices, default=RawStatus.PENDING)
    reason = models.TextField(blank=True, help_text="Why quarantined or ignored; how it was threaded")
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    message = models.ForeignKey(
        "cases.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="raw_arrivals"
    )
    # When the retention setting removed the bytes (FRONTLINE_KEEP_RAW_DAYS); the row and what was read
    # from it stay.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "id"], name="raw_by_status"),
            # Not partial: SQLite cannot prove "= '<id>'" implies "<> ''" and would scan every blob instead.
            models.Index(fields=["header_message_id"], name="raw_by_message_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="raw_one_per_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.pk} ({self.get_status_display()})"


class Reference(models.Model):
    """A Message-ID that an inbound message names in In-Reply-To or References.

    Kept so that a reply read before its original can be joined with it when the original arrives.
    """

    message = models.ForeignKey("cases.Message", on_delete=models.CASCADE, related_name="+")
    referenced = models.CharField(max_length=255, db_index=True)

    def __str__(self) -> str:
        return f"message {self.message_id} names {self.referenced}"


class ChatSession(models.Model):
    """One visitor's conversation in the chat widget. The token is the visitor's only key to it."""

    token = models.CharField(max_length=64, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="chat_sessions")
    name = models.CharField(max_length=120)
    email = models.CharField(max_length=255)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"chat with {self.name} <{self.email}>"


class AcknowledgementDue(models.Model):
    """A customer's acknowledgement ("we have your problem, case C-12"), written in the transaction that
    decided it and taken by a worker with others like it: one job and one SMTP session for a batch
    (intake/acknowledgements.py). Taken means deleted; what was sent is on the case and its attempts."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    person_name = models.CharField(max_length=120, blank=True)  # for the greeting
    due_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"acknowledgement of case {self.case_id} due {self.due_at:%Y-%m-%d %H:%M:%S}"
