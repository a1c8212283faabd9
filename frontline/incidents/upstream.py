"""Maintenance by mail, in both directions, as a mail interpreter (`FRONTLINE_MAIL_INTERPRETERS`):

- a **carrier's notice** of maintenance on circuits we buy (MAINTNOTE, or any vendor format that
  `circuit-maintenance-parser` reads) becomes our own maintenance, announced to exactly the customers behind
  those circuits; the carrier's later notices for the same maintenance change or cancel ours;
- a **calendar reply** to one of our maintenance entries that accepts it (PARTSTAT=ACCEPTED) acknowledges
  the notice it answers, as pressing the link would.

A notice that looks like maintenance but cannot be read, or names no circuit we know, is kept as it came and
raised as a to-do; it never opens a customer case.
"""

import logging
from datetime import UTC, datetime
from functools import cache

import icalendar
from django.db.models import Q

from frontline.customers.models import ContactPoint, ServiceUnit
from frontline.incidents import maintenance
from frontline.incidents.models import Maintenance, MaintenanceStatus
from frontline.intake.interpreters import IncomingMail, Outcome
from frontline.intake.models import RawStatus
from frontline.monitoring.models import Component
from frontline.notifications import services as notifications
from frontline.notifications.models import Notification, NotificationStatus, SubjectKind
from frontline.todos.models import TODO_KINDS
from frontline.todos.services import raise_todo

log = logging.getLogger(__name__)
REVIEW_NOTICE = TODO_KINDS.declare("review_maintenance_notice", "Read a carrier's maintenance notice")


@cache
def _parser():
    """circuit-maintenance-parser, imported on the first maintenance-like mail: it brings pydantic, lxml and
    numpy (about a second), which no other mail needs and every intake process would otherwise pay."""
    import circuit_maintenance_parser as parser

    organizers = {
        p.get_default_organizer().lower(): p for p in parser.SUPPORTED_PROVIDERS if p.get_default_organizer()
    }
    return parser, organizers


def _calendars(incoming: IncomingMail) -> list[icalendar.Calendar]:
    found = []
    for part in incoming.parsed.attachments:
        if part.content_type.split(";")[0].strip().lower() in ("text/calendar", "application/ics"):
            try:
                found.append(icalendar.Calendar.from_ical(part.data))
            except ValueError:
                continue
    return found


def maintenance_mail(incoming: IncomingMail) -> Outcome | None:
    calendars = _calendars(incoming)
    for calendar in calendars:
        if str(calendar.get("method", "")).upper() == "REPLY":
            return _calendar_reply(calendar)
    sender = incoming.parsed.from_address.lower()
    maintnote = any("X-MAINTNOTE-MAINTENANCE-ID" in event for c in calendars for event in c.walk("VEVENT"))
    if not maintnote and not calendars and "mainten" not in incoming.parsed.subject.lower():
        return None  # the common case: no need to load the parser
    parser, organizers = _parser()
    provider_class = organizers.get(sender) or (parser.GenericProvider if maintnote else None)
    if provider_class is None:
        return None
    return _carrier_notice(incoming, provider_class)


def _calendar_reply(calendar) -> Outcome:
    for event in calendar.walk("VEVENT"):
        found = Maintenance.objects.filter(uid=str(event.get("uid", ""))).first()
        attendees = event.get("attendee", [])
        attendees = attendees if isinstance(attendees, list) else [attendees]
        for attendee in attendees:
            if found is None or str(attendee.params.get("PARTSTAT", "")).upper() != "ACCEPTED":
                continue
            address = str(attendee).split(":", 1)[-1].strip().lower()
            stopped = _acknowledge(found, address)
            return Outcome(
                RawStatus.ACKNOWLEDGEMENT,
                f"calendar reply from {address} accepting {found.ref}: {stopped} notice(s) acknowledged",
            )
    return Outcome(RawStatus.IGNORED, "a calendar reply that accepts none of our maintenance entries")


def _acknowledge(work: Maintenance, address: str) -> int:
    points = ContactPoint.objects.filter(kind="email", normalized=address)
    people = set(points.exclude(person=None).values_list("person_id", flat=True))
    accounts = set(points.exclude(customer=None).values_list("customer_id", flat=True))
    notices = Notification.objects.filter(
        subject_kind=SubjectKind.MAINTENANCE,
        subject_id=str(work.pk),
        status__in=[NotificationStatus.ACTIVE, NotificationStatus.EXHAUSTED],
    ).filter(
        Q(person_id__in=people) | Q(customer_id__in=accounts) | Q(customer__memberships__person_id__in=people)
    )
    count = 0
    for notice in notices.distinct():
        notifications.acknowledge(notice, via="calendar", who=address)
        count += 1
    return count


def _carrier_notice(incoming: IncomingMail, provider_class) -> Outcome:
    parser, _ = _parser()
    try:
        data = parser.NotificationData.init_from_email_bytes(bytes(incoming.row.raw))
        found = provider_class().get_maintenances(data) if data is not None else []
    except parser.ProviderError as exc:
        return _unreadable(incoming, f"the maintenance notice could not be read: {str(exc)[:300]}")
    if not found:
        return _unreadable(incoming, "the maintenance notice could not be read: no maintenance in it")
    made = []
    for notice in found:
        units, components = _ours(notice.circuits)
        if not units and not components:
            circuits = ", ".join(c.circuit_id for c in notice.circuits) or "none"
            return _unreadable(
                incoming,
                f"{notice.provider} maintenance {notice.maintenance_id} names no circuit "
                f"we know ({circuits})",
            )
        made.append(_ours_from(notice, units, components))
    refs = ", ".join(m.ref for m in made)
    return Outcome(RawStatus.IGNORED, f"a carrier's maintenance notice: announced to our customers as {refs}")


def _ours(circuits) -> tuple[list[ServiceUnit], list[Component]]:
    ids = [c.circuit_id for c in circuits]
    components = list(Component.objects.filter(name__in=ids))
    units = list(ServiceUnit.objects.filter(Q(name__in=ids) | Q(labels__circuit__in=ids)))
    return units, components


def _ours_from(notice, units, components) -> Maintenance:
    starts, ends = datetime.fromtimestamp(notice.start, UTC), datetime.fromtimestamp(notice.end, UTC)
    impacts = [c.impact for c in notice.circuits if c.impact]
    impact = max(
        impacts, key=["NO-IMPACT", "REDUCED-REDUNDANCY", "DEGRADED", "OUTAGE"].index, default="OUTAGE"
    )
    existing = Maintenance.objects.filter(
        upstream_provider=notice.provider, upstream_id=notice.maintenance_id
    ).first()
    if existing is None:
        return maintenance.schedule(
            title=f"{notice.summary or 'Maintenance'}"[:200],
            body=f"Our carrier {notice.provider} will work on a circuit your service uses"
            f" ({', '.join(c.circuit_id for c in notice.circuits)}). {notice.summary}".strip(),
            impact=impact,
            starts_at=starts,
            ends_at=ends,
            components=components,
            units=units,
            upstream_provider=notice.provider,
            upstream_id=notice.maintenance_id,
            via="email",
        )
    if existing.status not in maintenance.ACTIVE:
        return existing
    status = MaintenanceStatus.CANCELLED if notice.status == "CANCELLED" else None
    if status is None and (existing.starts_at, existing.ends_at, existing.impact) == (starts, ends, impact):
        return existing  # the same notice again
    return maintenance.change(
        existing, starts_at=starts, ends_at=ends, impact=impact, status=status, via="email"
    )


def _unreadable(incoming: IncomingMail, why: str) -> Outcome:
    raise_todo(
        kind=REVIEW_NOTICE,
        title="A carrier's maintenance notice needs a person",
        detail=f"{why}. From {incoming.parsed.from_address}, subject {incoming.parsed.subject!r}.",
        evidence={"raw_message_id": incoming.row.pk},
        via="email",
    )
    return Outcome(RawStatus.QUARANTINED, why)
