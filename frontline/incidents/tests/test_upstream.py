"""Maintenance by mail: a carrier's MAINTNOTE notice becomes ours, announced to exactly the customers
behind its circuit, and its later notices change or cancel ours; a calendar reply accepting our entry
acknowledges the notice; a notice we cannot place is kept raw with a to-do."""

import datetime

import icalendar

from frontline.cases.models import Case
from frontline.core import clock
from frontline.incidents import maintenance
from frontline.incidents.models import Maintenance, MaintenanceStatus
from frontline.incidents.upstream import REVIEW_NOTICE
from frontline.intake.models import RawStatus
from frontline.intake.tests.helpers import deliver, mail
from frontline.monitoring import services as monitoring
from frontline.notifications.models import Notification, NotificationStatus, SubjectKind
from frontline.todos.models import ToDo

NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
START = datetime.datetime(2026, 12, 5, 1, 0, tzinfo=datetime.UTC)


def carrier_notice(*, circuit="CID-7781", sequence=0, status="CONFIRMED", start=START, hours=4) -> bytes:
    """A MAINTNOTE notice as a carrier's NOC sends it (BCOP fields; our own words)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Carrier Example//Maintenance//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("summary", "Fibre splice work on the Leeds to Manchester span")
    event.add("dtstart", start)
    event.add("dtend", start + datetime.timedelta(hours=hours))
    event.add("dtstamp", NOW)
    event.add("uid", "42@carrier.example")
    event.add("sequence", sequence)
    event.add("organizer", "mailto:noc@carrier.example")
    event.add("x-maintnote-provider", "carrier.example")
    event.add("x-maintnote-account", "NORTHWIND-01")
    event.add("x-maintnote-maintenance-id", "MW-42")
    event.add("x-maintnote-object-id", circuit)
    event.add("x-maintnote-impact", "OUTAGE")
    event.add("x-maintnote-status", status)
    cal.add_component(event)
    return mail(
        sender="noc@carrier.example",
        subject="Planned maintenance MW-42",
        body="Please see the attached calendar entry.",
        attachments=[("maintenance.ics", "text/calendar", cal.to_ical())],
    )


def test_a_carriers_notice_is_announced_to_exactly_the_customers_behind_the_circuit(okafor):
    transit = monitoring.add_component(name="CID-7781", kind="service", group="Mail")
    okafor["relay"].parent = transit
    okafor["relay"].save(update_fields=["parent"])
    with clock.frozen_at(NOW):
        row = deliver(carrier_notice())
    assert row.status == RawStatus.IGNORED and "MNT-" in row.reason
    ours = Maintenance.objects.get()
    assert ours.upstream_provider == "carrier.example" and ours.upstream_id == "MW-42"
    assert ours.starts_at == START and ours.impact == "OUTAGE"
    reached = set(ours.reach.values_list("customer_id", flat=True))
    assert reached == {c.pk for c in okafor["clients"][:3]}
    assert not Case.objects.exists()
    # the carrier moves it: ours moves, same UID, next sequence; then cancels it
    with clock.frozen_at(NOW + datetime.timedelta(hours=1)):
        deliver(carrier_notice(sequence=1, start=START + datetime.timedelta(days=1)))
        deliver(carrier_notice(sequence=2, status="CANCELLED", start=START + datetime.timedelta(days=1)))
    ours.refresh_from_db()
    assert ours.starts_at == START + datetime.timedelta(days=1) and ours.status == MaintenanceStatus.CANCELLED
    assert ours.sequence == 2


def test_a_notice_naming_no_circuit_of_ours_is_kept_with_a_to_do(okafor):
    with clock.frozen_at(NOW):
        row = deliver(carrier_notice(circuit="CID-0000"))
    assert row.status == RawStatus.QUARANTINED and "CID-0000" in row.reason
    assert ToDo.objects.filter(kind=REVIEW_NOTICE).count() == 1
    assert not Maintenance.objects.exists()


def test_a_calendar_reply_accepting_our_entry_acknowledges_the_notice(okafor, priya):
    with clock.frozen_at(NOW):
        work = maintenance.schedule(
            title="Relay upgrade",
            body="Mail pauses.",
            impact="OUTAGE",
            starts_at=START,
            ends_at=START + datetime.timedelta(hours=1),
            components=[okafor["relay"]],
            by=priya,
        )
    reply = icalendar.Calendar()
    reply.add("method", "REPLY")
    event = icalendar.Event()
    event.add("uid", work.uid)
    event.add("attendee", "mailto:owner@client1.example", parameters={"PARTSTAT": "ACCEPTED"})
    reply.add_component(event)
    with clock.frozen_at(NOW + datetime.timedelta(minutes=5)):
        row = deliver(
            mail(
                sender="owner@client1.example",
                subject="Accepted: Relay upgrade",
                body="",
                attachments=[("reply.ics", "text/calendar", reply.to_ical())],
            )
        )
    assert row.status == RawStatus.ACKNOWLEDGEMENT
    client1 = okafor["clients"][0]
    notice = Notification.objects.get(subject_kind=SubjectKind.MAINTENANCE, customer=client1, person=None)
    assert notice.status == NotificationStatus.ACKNOWLEDGED and notice.acknowledged_via == "calendar"
    assert not Case.objects.exists()
