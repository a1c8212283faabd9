"""Planned maintenance: announced to exactly the customers it reaches with a MAINTNOTE calendar entry that
the operators' own parser reads back; the same UID and a rising SEQUENCE on change; reminders, start, done."""

import datetime

import pytest
from circuit_maintenance_parser import NotificationData, init_provider
from django.core.mail import EmailMessage

from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.incidents import maintenance
from frontline.incidents.models import MaintenanceStatus
from frontline.notifications.models import Notification, SubjectKind

NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
START, END = NOW + datetime.timedelta(days=2), NOW + datetime.timedelta(days=2, hours=1)


def _schedule(okafor, priya):
    with clock.frozen_at(NOW):
        return maintenance.schedule(
            title="Relay smtp-2 software upgrade",
            body="Outgoing mail through smtp-2 pauses for up to ten minutes.",
            impact="OUTAGE",
            starts_at=START,
            ends_at=END,
            components=[okafor["relay"]],
            by=priya,
        )


def _parsed(ics: bytes):
    """As a customer's mail system would: the whole email, as our email transport builds it."""
    email = EmailMessage(
        "Planned maintenance", "text", "support@frontline.invalid", ["owner@client1.example"]
    )
    email.attach("maintenance.ics", ics, "text/calendar; method=REQUEST")
    data = NotificationData.init_from_email_bytes(email.message().as_bytes())
    return init_provider("genericprovider").get_maintenances(data)


def test_the_calendar_entry_is_maintnote_and_reads_back_with_circuit_maintenance_parser(okafor, priya):
    work = _schedule(okafor, priya)
    notice = Notification.objects.filter(subject_kind=SubjectKind.MAINTENANCE, person=None).first()
    [(filename, ics, content_type)] = maintenance.calendar_attachment(notice, "owner@client1.example")
    assert filename == "maintenance.ics" and content_type.startswith("text/calendar")
    [parsed] = _parsed(ics)
    assert parsed.maintenance_id == work.ref and parsed.uid == work.uid and parsed.sequence == 0
    assert parsed.status == "CONFIRMED" and parsed.start == int(START.timestamp())
    assert parsed.account == notice.customer.name
    assert [c.circuit_id for c in parsed.circuits] == [f"office@client{notice.customer.name[-1]}.example"]
    assert parsed.circuits[0].impact == "OUTAGE"


def test_a_change_keeps_the_uid_and_raises_the_sequence_and_tells_everyone_again(okafor, priya):
    work = _schedule(okafor, priya)
    first = Notification.objects.filter(subject_kind=SubjectKind.MAINTENANCE).count()
    assert first == 4  # three accounts, and Renee once for all three
    with clock.frozen_at(NOW + datetime.timedelta(hours=1)):
        changed = maintenance.change(
            work,
            starts_at=START + datetime.timedelta(hours=2),
            ends_at=END + datetime.timedelta(hours=2),
            by=priya,
        )
    assert changed.uid == work.uid and changed.sequence == 1
    notice = Notification.objects.filter(subject_kind=SubjectKind.MAINTENANCE).latest("pk")
    assert notice.title.startswith("Changed:")
    [parsed] = _parsed(maintenance.calendar_attachment(notice, "")[0][1])
    assert parsed.sequence == 1 and parsed.start == int((START + datetime.timedelta(hours=2)).timestamp())


def test_reminder_start_and_done_go_out_as_their_times_come(okafor, priya):
    work = _schedule(okafor, priya)
    titles = lambda: list(  # noqa: E731
        Notification.objects.filter(subject_kind=SubjectKind.MAINTENANCE, person__isnull=False)
        .order_by("pk")
        .values_list("title", flat=True)
    )
    assert maintenance.advance(START - datetime.timedelta(hours=25)) == 0
    assert maintenance.advance(START - datetime.timedelta(hours=23)) == 1
    assert maintenance.advance(START - datetime.timedelta(hours=22)) == 0  # once
    assert maintenance.advance(START + datetime.timedelta(minutes=1)) == 1
    work.refresh_from_db()
    assert work.status == MaintenanceStatus.IN_PROCESS and work.sequence == 1
    assert maintenance.advance(END + datetime.timedelta(minutes=1)) == 1
    work.refresh_from_db()
    assert work.status == MaintenanceStatus.COMPLETED
    assert [t.split(":")[0] for t in titles()] == ["Planned maintenance", "Reminder", "Starting now", "Done"]


def test_work_must_be_announced_before_it_starts_and_end_after_it(okafor, priya):
    with clock.frozen_at(NOW), pytest.raises(ServiceError, match="before it starts"):
        maintenance.schedule(
            title="t",
            body="b",
            impact="OUTAGE",
            starts_at=NOW - datetime.timedelta(hours=1),
            ends_at=NOW,
            components=[okafor["relay"]],
            by=priya,
        )
    with clock.frozen_at(NOW), pytest.raises(ServiceError, match="end after"):
        maintenance.schedule(
            title="t",
            body="b",
            impact="OUTAGE",
            starts_at=END,
            ends_at=START,
            components=[okafor["relay"]],
            by=priya,
        )
