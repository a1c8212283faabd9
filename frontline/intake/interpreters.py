"""What a stored mail is, decided by an ordered list of interpreters (`FRONTLINE_MAIL_INTERPRETERS`).

Intake walks the list for every mail: each interpreter takes the `IncomingMail` and answers an `Outcome`
when it has decided what the mail is (a loop, an abuse report, a delivery report, a person writing), or
None to pass it on (a reply that acknowledges a notification is also a person writing). The ones here
call the apps below intake; an app above it (policy's abuse reports, later monitoring's alerts by mail)
contributes its own by dotted path, so intake imports none of them. The last one, a person writing
(`filing.person_writing`), always answers.
"""

from dataclasses import dataclass, field

from frontline.cases.models import Case, Message
from frontline.delivery import services as delivery
from frontline.intake import mail, placement
from frontline.intake.models import RawMessage, RawStatus
from frontline.notifications.services import acknowledge_by_reply


@dataclass
class Outcome:
    status: str  # a RawStatus
    reason: str
    case: Case | None = None
    message: Message | None = None


@dataclass
class IncomingMail:
    row: RawMessage
    parsed: mail.ParsedMail
    known: placement.KnownIds  # which of its Message-IDs we sent or stored before
    # The case our reference or the mail's references point to, once an interpreter has looked.
    found: placement.Placement | None = field(default=None)

    def place(self) -> placement.Placement:
        if self.found is None:
            recipients = self.parsed.to + self.row.envelope_recipients.split("\n")
            by_reference = placement.by_reference(self.parsed.subject, recipients)
            self.found = by_reference if by_reference.case else placement.by_message_ids(self.known)
        return self.found


def mail_loop(incoming: IncomingMail) -> Outcome | None:
    """Our own message come back: never a customer contact, and never answered (that would loop)."""
    if incoming.parsed.loop_marker or incoming.known.ours:
        return Outcome(RawStatus.IGNORED, "our own message came back (mail loop)")
    return None


def automatic(incoming: IncomingMail) -> Outcome | None:
    """An auto-reply or a mailing list: kept beside the case it names, not a person writing."""
    parsed = incoming.parsed
    if parsed.automatic or parsed.mailing_list:
        why = parsed.automatic or f"mailing list {parsed.mailing_list}"
        return Outcome(RawStatus.IGNORED, f"not a person writing: {why}", incoming.place().case)
    return None


def delivery_report(incoming: IncomingMail) -> Outcome | None:
    """A bounce or delay notice: matched to the send of ours it answers, which delivery records."""
    parsed = incoming.parsed
    if not parsed.is_delivery_report:
        return None
    matched = delivery.record_delivery_report(
        parsed.reports, about_message_id=parsed.report_message_id, raw_message_id=incoming.row.pk
    )
    if not matched:
        return Outcome(RawStatus.REPORT, "delivery report about no send of ours")
    summary = ", ".join(f"{a.address}: {a.get_status_display().lower()} ({a.report_status})" for a in matched)
    return Outcome(RawStatus.REPORT, f"delivery report: {summary}", matched[0].case)


def notification_reply(incoming: IncomingMail) -> None:
    """A person answering a notification email confirms they have it (auto-replies stopped before this).
    It is still a person writing: the next interpreter files it."""
    parsed = incoming.parsed
    acknowledge_by_reply(parsed.in_reply_to + parsed.references, sender=parsed.from_address)
