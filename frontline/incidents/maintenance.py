"""Planned maintenance: announced to exactly the customers it reaches, through their ladders, with a
MAINTNOTE calendar entry (the network operators' BCOP: the X-MAINTNOTE-* properties, one UID, a SEQUENCE
that rises with every change); a reminder before it starts, "starting now" and "done". An alert about a
unit under announced maintenance opens no case (`covering`).
"""

from datetime import timedelta

import icalendar
from django.conf import settings
from django.db import transaction

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.core import clock, texts
from frontline.core.errors import Conflict, ServiceError, require_choice
from frontline.customers.models import ServiceUnit
from frontline.incidents import events, statuspage
from frontline.incidents.models import Maintenance, MaintenanceImpact, MaintenanceReach, MaintenanceStatus
from frontline.monitoring import services as monitoring
from frontline.notifications import services as notifications
from frontline.notifications.models import SubjectKind, Urgency
from frontline.scheduling.later import later

ACTIVE = [MaintenanceStatus.CONFIRMED, MaintenanceStatus.IN_PROCESS]


def _reach(maintenance: Maintenance) -> dict[int, list[int]]:
    by_customer = monitoring.of(
        list(maintenance.components.all()), list(maintenance.units.values_list("pk", flat=True))
    ).by_customer
    MaintenanceReach.objects.filter(maintenance=maintenance).delete()
    MaintenanceReach.objects.bulk_create(
        [
            MaintenanceReach(maintenance=maintenance, customer_id=c, unit_ids=u)
            for c, u in by_customer.items()
        ],
        batch_size=2000,
    )
    return by_customer


def _check(title: str, body: str, impact: str, starts_at, ends_at) -> None:
    if not (title or "").strip() or not (body or "").strip():
        raise ServiceError("say what the work is and what customers will notice", field="title")
    require_choice(impact, MaintenanceImpact, "impact")
    if ends_at <= starts_at:
        raise ServiceError("it must end after it starts", field="ends_at")


@transaction.atomic
def schedule(
    *,
    title: str,
    body: str,
    impact: str,
    starts_at,
    ends_at,
    components=(),
    units=(),
    by=None,
    upstream_provider: str = "",
    upstream_id: str = "",
    public: bool = True,
    via: str = "web",
) -> Maintenance:
    """Record it and announce it to everyone it reaches."""
    if by is not None:
        require(by, Capability.RUN_INCIDENTS)
    _check(title, body, impact, starts_at, ends_at)
    if not components and not units:
        raise ServiceError("name the components or units the work touches", field="components")
    if starts_at < clock.now() - timedelta(minutes=5) and not upstream_provider:
        raise ServiceError("planned work is announced before it starts", field="starts_at")
    maintenance = Maintenance.objects.create(
        title=title.strip()[:200],
        body=body.strip(),
        impact=impact,
        starts_at=starts_at,
        ends_at=ends_at,
        uid="",
        created_at=clock.now(),
        created_by=by,
        upstream_provider=upstream_provider,
        upstream_id=upstream_id,
        public=public,
    )
    maintenance.uid = f"maintenance-{maintenance.pk}@{settings.FRONTLINE_INSTANCE_ID}"
    maintenance.save(update_fields=["uid"])
    maintenance.components.set(components)
    maintenance.units.set(units)
    _reach(maintenance)
    _tell(maintenance, "announced", by=by, via=via)
    return maintenance


@transaction.atomic
def change(maintenance: Maintenance, *, by=None, via: str = "web", **fields) -> Maintenance:
    """A new time, impact or text (or a cancellation): the same UID, the next SEQUENCE, told again."""
    if by is not None:
        require(by, Capability.RUN_INCIDENTS)
    maintenance = Maintenance.objects.select_for_update().get(pk=maintenance.pk)
    if maintenance.status not in ACTIVE:
        raise Conflict("this maintenance is over", field="status")
    for name in ("title", "body", "impact", "starts_at", "ends_at", "status"):
        if fields.get(name) is not None:
            setattr(maintenance, name, fields[name])
    require_choice(maintenance.status, MaintenanceStatus, "status")
    _check(
        maintenance.title, maintenance.body, maintenance.impact, maintenance.starts_at, maintenance.ends_at
    )
    maintenance.sequence += 1
    maintenance.save()
    what = "cancelled" if maintenance.status == MaintenanceStatus.CANCELLED else "changed"
    _tell(maintenance, what, by=by, via=via)
    return maintenance


def _tell(maintenance: Maintenance, what: str, *, by, via: str) -> None:
    events.maintenance_changed(maintenance=maintenance, change=what, by=by, via=via)
    statuspage.forget()
    if what != "reminder":
        later("frontline.incidents.tasks.tell_followers", "maintenance", maintenance.pk)
    customer_ids = sorted(maintenance.reach.values_list("customer_id", flat=True))
    if not customer_ids:
        return
    title, body = texts.render_message(f"incidents/maintenance_{what}", maintenance=maintenance)
    notifications.fan_out_to(
        notifications.recipients(customer_ids),
        subject_kind=SubjectKind.MAINTENANCE,
        subject_id=maintenance.pk,
        title=title[:200],
        body=body,
        urgency=Urgency.URGENT if what in ("announced", "changed") else Urgency.ROUTINE,
        by=by,
        via=via,
    )


def advance(now=None) -> int:
    """The recurring step: a reminder before the start, "starting now" at the start, "done" at the end."""
    now = now or clock.now()
    moved = 0
    before = timedelta(hours=settings.FRONTLINE_MAINTENANCE_REMINDER_HOURS)
    for m in Maintenance.objects.filter(
        status=MaintenanceStatus.CONFIRMED, reminded_at=None, starts_at__lte=now + before, starts_at__gt=now
    ):
        with transaction.atomic():
            m.reminded_at = now
            m.save(update_fields=["reminded_at"])
            _tell(m, "reminder", by=None, via="maintenance")
        moved += 1
    for m, status, what in [
        *(
            (m, MaintenanceStatus.IN_PROCESS, "started")
            for m in Maintenance.objects.filter(status=MaintenanceStatus.CONFIRMED, starts_at__lte=now)
        ),
        *(
            (m, MaintenanceStatus.COMPLETED, "completed")
            for m in Maintenance.objects.filter(status__in=ACTIVE, ends_at__lte=now)
        ),
    ]:
        with transaction.atomic():
            if (
                Maintenance.objects.filter(pk=m.pk, status__in=ACTIVE)
                .exclude(status=status)
                .update(status=status, sequence=m.sequence + 1)
            ):
                m.refresh_from_db()
                _tell(m, what, by=None, via="maintenance")
                moved += 1
    return moved


def covering(unit: ServiceUnit, at) -> Maintenance | None:
    """The announced maintenance under way whose reach holds this unit (or one above it), if any."""
    windows = list(Maintenance.objects.filter(status__in=ACTIVE, starts_at__lte=at, ends_at__gte=at))
    if not windows:
        return None
    chain = []
    node = unit
    while node is not None and len(chain) < 20:
        chain.append(node.pk)
        node = node.parent
    for window in windows:
        reach = MaintenanceReach.objects.filter(maintenance=window, customer_id=unit.customer_id).first()
        if reach is not None and set(chain) & set(reach.unit_ids):
            return window
    return None


# ---------------------------------------------------------------- MAINTNOTE


def calendar(maintenance: Maintenance, *, account: str, object_ids: list[str], attendee: str = "") -> bytes:
    """The MAINTNOTE entry (BCOP 'Maintenance Notification', X-MAINTNOTE-* on a VEVENT) for one account."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Frontline//Maintenance//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("summary", maintenance.title)
    event.add("description", maintenance.body)
    event.add("dtstart", maintenance.starts_at)
    event.add("dtend", maintenance.ends_at)
    event.add("dtstamp", clock.now())
    event.add("uid", maintenance.uid)
    event.add("sequence", maintenance.sequence)
    event.add("organizer", f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    if attendee:
        event.add("attendee", f"mailto:{attendee}", parameters={"PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"})
    event.add("x-maintnote-provider", settings.FRONTLINE_PROVIDER_NAME)
    event.add("x-maintnote-account", account)
    event.add("x-maintnote-maintenance-id", maintenance.ref)
    for object_id in object_ids or [account]:
        event.add("x-maintnote-object-id", object_id)
    event.add("x-maintnote-impact", maintenance.impact)
    event.add("x-maintnote-status", maintenance.status)
    cal.add_component(event)
    return cal.to_ical()


def calendar_attachment(notification, address: str = "") -> list[tuple[str, bytes, str]]:
    """The notifications' attachments door: a maintenance notice carries its calendar entry."""
    if notification.subject_kind != SubjectKind.MAINTENANCE or not notification.subject_id.isdigit():
        return []
    maintenance = Maintenance.objects.filter(pk=notification.subject_id).first()
    if maintenance is None:
        return []
    reach = MaintenanceReach.objects.filter(
        maintenance=maintenance, customer_id=notification.customer_id
    ).first()
    names = (
        list(ServiceUnit.objects.filter(pk__in=reach.unit_ids).values_list("name", flat=True))
        if reach
        else []
    )
    entry = calendar(maintenance, account=notification.customer.name, object_ids=names, attendee=address)
    return [("maintenance.ics", entry, "text/calendar; method=REQUEST")]
