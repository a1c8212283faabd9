"""The stories' customers for the policy tests: Rivera's forty sites, Castle's line with its hosts."""

import datetime

import pytest

from frontline.agents.models import Skill
from frontline.core import clock
from frontline.customers import services as customers
from frontline.policy import services
from frontline.policy.tests.helpers import HOUR, T0


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
