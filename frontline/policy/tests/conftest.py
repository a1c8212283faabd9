"""The stories' customers for the policy tests: Rivera's forty sites, Castle's line with its hosts."""

import datetime

import pytest

from frontline.agents.models import Skill
from frontline.core import clock
from frontline.customers import services as customers
from frontline.policy import services

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _abuse_skill(db):
    Skill.objects.get_or_create(slug="abuse-security", defaults={"name": "Abuse and security"})


@pytest.fixture
def rivera(db):
    """Rivera Digital: a reseller account with forty sites, Carmen's verified address and her mobile."""
    with clock.frozen_at(T0 - 400 * HOUR):
        customer = customers.create_customer(
            name="Rivera Digital",
            plan="reseller",
            tier="priority",
            customer_since=datetime.date(2012, 11, 5),
            monthly_value="310.00",
        )
        account = customers.add_unit(customer, kind="account", name="reseller-rivera")
        for n in range(1, 41):
            customers.add_unit(
                customer,
                kind="site",
                name=f"client{n:02d}.rivera-sites.example",
                parent=account,
                hostname="web-12",
            )
        carmen = customers.add_person(customer, name="Carmen Rivera")
        customers.verify_contact_point(
            customers.add_contact_point(person=carmen, kind="email", value="carmen@rivera-digital.example")
        )
        customers.add_contact_point(person=carmen, kind="phone", value="+44 7700 900789", label="mobile")
    return customer


@pytest.fixture
def castle(db):
    """Castle Property Management: a fibre line > a port > six hosts; the ops mailbox and Helen's mobile."""
    with clock.frozen_at(T0 - 400 * HOUR):
        customer = customers.create_customer(
            name="Castle Property Management",
            plan="fibre",
            tier="priority",
            customer_since=datetime.date(1996, 9, 1),
            monthly_value="640.00",
        )
        line = customers.add_unit(customer, kind="line", name="FTTP-CASTLE-01")
        port = customers.add_unit(customer, kind="port", name="port-12 (192.0.2.16/29)", parent=line)
        for n in range(17, 23):
            customers.add_unit(
                customer, kind="host", name=f"192.0.2.{n}", parent=port, ip_address=f"192.0.2.{n}"
            )
        helen = customers.add_person(customer, name="Helen Castle")
        customers.verify_contact_point(
            customers.add_contact_point(person=helen, kind="phone", value="+44 7700 900123", label="mobile")
        )
        customers.add_contact_point(
            customer=customer, kind="email", value="ops@castle-pm.example", label="ops"
        )
    return customer


@pytest.fixture
def scan_rule(nadia):
    """Contain an infected site after a day's notice."""
    with clock.frozen_at(T0 - 100 * HOUR):
        return services.save_rule(
            by=nadia,
            name="Contain infected sites",
            trigger="malware_scan",
            condition="event.infected && event.confidence >= 0.8",
            action="contain",
            severity="standard",
        )


@pytest.fixture
def worm_rule(nadia):
    """An abuse report of an attack going on now: contain the host at once (the emergency class)."""
    with clock.frozen_at(T0 - 100 * HOUR):
        return services.save_rule(
            by=nadia,
            name="Contain attacking hosts",
            trigger="abuse_report",
            condition='event.category in ["worm", "ddos", "scan"] && unit.kind == "host"',
            action="contain",
            severity="emergency",
        )


@pytest.fixture
def abuse_rule(nadia):
    """Any abuse report about a host: contain it after six hours' notice."""
    with clock.frozen_at(T0 - 100 * HOUR):
        return services.save_rule(
            by=nadia,
            name="Contain reported hosts",
            trigger="abuse_report",
            condition='unit.kind == "host"',
            action="contain",
            severity="urgent",
        )


def scan(*results, at=T0, batch="scan-1"):
    """The scanner's report: (site name, infected) pairs."""
    with clock.frozen_at(at):
        return services.receive_events(
            [
                {
                    "trigger": "malware_scan",
                    "kind": "scan",
                    "facts": {
                        "infected": infected,
                        "signature": "PHP.Injector" if infected else "",
                        "confidence": 0.97 if infected else 1.0,
                        "scanner": "maldet",
                        "files": 4 if infected else 0,
                    },
                    "unit": {"name": name},
                }
                for name, infected in results
            ],
            source="scanner",
            batch=batch,
        )


def apply_due(at):
    """What the worker does at `at`: the notices' rungs due by then go out, then the actions due are applied.
    (The rungs run here, not through the task queue: these tests run inside one transaction that never
    commits, and jobs are enqueued on commit.)"""
    from frontline.notifications import services as notifications

    with clock.frozen_at(at):
        while True:
            token, claimed = notifications.claim_due()
            if not claimed:
                break
            notifications.run_rungs(claimed, token)
        return services.apply_due_decisions()


def arf(
    *,
    source_ip="192.0.2.18",
    category="worm",
    feedback_type="abuse",
    arrival=None,
    message_id="<arf-1@cert.example>",
    feedback_part=True,
) -> bytes:
    """An ARF (RFC 5965) report as a CERT sends it: text, the machine-readable part, the offending headers.
    The attack was seen twenty minutes before now (the test's clock), unless `arrival` says otherwise."""
    from email.utils import format_datetime

    arrival = arrival or format_datetime(clock.now() - datetime.timedelta(minutes=20))
    fields = f"Feedback-Type: {feedback_type}\r\nUser-Agent: CERT-Reporter/2.1\r\nVersion: 1\r\n"
    if source_ip:
        fields += f"Source-IP: {source_ip}\r\n"
    fields += f"Arrival-Date: {arrival}\r\nIncidents: 12\r\n"
    if category:
        fields += f"Category: {category}\r\n"
    machine = f"--R\r\nContent-Type: message/feedback-report\r\n\r\n{fields}\r\n" if feedback_part else ""
    return (
        "From: CERT Abuse Desk <abuse@cert.example>\r\n"
        "To: abuse@northwind.example\r\n"
        f"Subject: Abuse report: {source_ip or 'unknown'} spreading a worm\r\n"
        f"Message-ID: {message_id}\r\n"
        "Date: Mon, 02 Nov 2026 08:45:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\n"
        f"Host {source_ip} has been scanning port 445 across the internet for two hours.\r\n"
        f"{machine}"
        "--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: someone@192.0.2.18\r\nSubject: x\r\n"
        "--R--\r\n"
    ).encode()
