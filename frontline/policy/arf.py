"""Abuse reports by email (ARF, RFC 5965), read by intake and handed to the rules as policy events.

ARF says what kind of feedback it is (Feedback-Type: abuse, fraud, virus, auth-failure, other) but not what
the reported machine does; reporters that say more use a Category field (as X-ARF does: worm, ddos, scan,
spam, phishing...). Where there is none, the feedback type stands in for it.
"""

from datetime import timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings

from frontline.core import clock
from frontline.intake.interpreters import IncomingMail, Outcome
from frontline.intake.models import RawStatus
from frontline.policy import services
from frontline.policy.models import EventSource, Trigger

CATEGORY_OF_FEEDBACK = {"abuse": "spam", "fraud": "phishing", "virus": "malware", "auth-failure": "spoofing"}
# Kinds of report that mean the unit is attacking others, when the report is fresh (a day old at most).
ATTACKS = frozenset({"worm", "ddos", "scan", "bruteforce", "botnet"})
FRESH = timedelta(days=1)


def is_trusted(reporter: str) -> bool:
    """Whether the sender is one of FRONTLINE_TRUSTED_REPORTERS (whole addresses, or "@domain" for all of
    a domain's). Only a trusted reporter's report can be an emergency that acts before notice."""
    reporter = reporter.strip().lower()
    for trusted in settings.FRONTLINE_TRUSTED_REPORTERS:
        trusted = trusted.strip().lower()
        if reporter == trusted or (trusted.startswith("@") and reporter.endswith(trusted)):
            return True
    return False


def _first(fields: dict, name: str) -> str:
    return (fields.get(name) or [""])[0].strip()


def facts_of(fields: dict, *, reporter: str) -> tuple[dict, dict]:
    """The abuse_report trigger's facts and the unit reference, from an ARF report's fields."""
    try:
        arrived = parsedate_to_datetime(_first(fields, "arrival-date"))
    except (TypeError, ValueError):
        arrived = None
    try:
        incidents = int(_first(fields, "incidents") or 1)
    except ValueError:
        incidents = 1
    return report_facts(
        feedback_type=_first(fields, "feedback-type"),
        category=_first(fields, "category"),
        reporter=reporter,
        source_ip=_first(fields, "source-ip"),
        domain=_first(fields, "reported-domain"),
        arrived=arrived,
        incidents=incidents,
    )


def report_facts(
    *, feedback_type: str, category: str, reporter: str, source_ip: str, domain: str, arrived, incidents: int
) -> tuple[dict, dict]:
    """The abuse_report trigger's facts and the unit reference, however the report came (ARF or the API)."""
    feedback_type, category = feedback_type.strip().lower(), category.strip().lower()
    source_ip, domain = source_ip.strip(), domain.strip().lower()
    category = category or CATEGORY_OF_FEEDBACK.get(feedback_type, "other")
    fresh = arrived is None or arrived.tzinfo is None or clock.now() - arrived <= FRESH
    incidents = max(incidents, 1)
    facts = {
        "feedback_type": feedback_type,
        "category": category,
        "reporter": reporter,
        "source_ip": source_ip,
        "reported_domain": domain,
        "active_attack": category in ATTACKS and fresh,
        "incidents": incidents,
        "trusted_reporter": is_trusted(reporter),
    }
    return facts, {"ip": source_ip, "name": domain}


def receive_abuse_report(parsed, row) -> tuple[str, str, object]:
    """Intake's outcome for an ARF mail: (raw status, reason, case). The raw mail is already stored."""
    if parsed.abuse_problem:
        event = services.record_unreadable(
            trigger=Trigger.ABUSE_REPORT,
            source=EventSource.EMAIL,
            payload={"subject": parsed.subject, "from": parsed.from_address},
            problem=f"abuse report from {parsed.from_address}: {parsed.abuse_problem}",
            raw_message=row,
        )
        return (
            RawStatus.QUARANTINED,
            f"abuse report not readable: {parsed.abuse_problem} (event {event.pk})",
            None,
        )
    facts, unit = facts_of(parsed.abuse_report, reporter=parsed.from_address)
    [event] = services.receive_events(
        [
            {
                "trigger": Trigger.ABUSE_REPORT,
                "kind": "arf",
                "facts": facts,
                "unit": unit,
                "payload": {"fields": parsed.abuse_report, "subject": parsed.subject},
                "idempotency_key": f"arf:{parsed.message_id}" if parsed.message_id else None,
            }
        ],
        source=EventSource.EMAIL,
        batch=f"arf:{row.pk}",
        raw_message=row,
    )
    decision = event.decisions.order_by("pk").first()
    about = facts["source_ip"] or facts["reported_domain"]
    reason = (
        f"abuse report ({facts['feedback_type']}, {facts['category']}) about {about}: policy event {event.pk}"
    )
    if event.problem:
        reason += f"; {event.problem}"
    return RawStatus.POLICY, reason, decision.case if decision else None


def abuse_report(incoming: IncomingMail) -> Outcome | None:
    """A mail interpreter (FRONTLINE_MAIL_INTERPRETERS): an ARF report goes to the rules, not to a case."""
    if incoming.parsed.abuse_report is None:
        return None
    return Outcome(*receive_abuse_report(incoming.parsed, incoming.row))
