"""A second customer beside Sam, for the portal's isolation tests, and a client signed in to the portal."""

import datetime

import pytest

from frontline.cases import services as cases
from frontline.customers import services as customers
from frontline.policy import services as policy
from frontline.portal.visitor import Visitor
from frontline.tests.helpers import portal_client


@pytest.fixture
def sam_portal(sam, sam_person):
    return portal_client(Visitor(account_ids=[sam.pk], account_id=sam.pk, person_id=sam_person.pk))


@pytest.fixture
def castle(db):
    """Castle Property Management: a fibre line with a host behind it, an ops mailbox and a mobile."""
    customer = customers.create_customer(
        name="Castle Property Management",
        plan="fibre",
        customer_since=datetime.date(1996, 5, 1),
        monthly_value="480",
    )
    line = customers.add_unit(customer, kind="line", name="castle-line-1")
    customers.add_unit(customer, kind="host", name="192.0.2.18", parent=line, ip_address="192.0.2.18")
    helen = customers.add_person(customer, name="Helen Castle")
    customers.add_contact_point(person=helen, kind="email", value="ops@castle-pm.example")
    customers.add_contact_point(person=helen, kind="phone", value="+44 7700 900123", label="mobile")
    cases.open_case(
        customer=customer,
        requester=helen,
        subject="Tenant VPN drops at night",
        body="Castle's secret words",
        channel="email",
    )
    return customer


@pytest.fixture
def contained_site(sam, blog, nadia):
    """A rule contains infected sites after notice; the scanner finds Sam's blog infected."""
    policy.save_rule(
        by=nadia,
        name="Contain infected sites",
        trigger="malware_scan",
        condition="event.infected",
        action="contain",
        severity="standard",
    )
    policy.receive_events(
        [{"trigger": "malware_scan", "facts": {"infected": True}, "unit": {"unit_id": blog.pk}}],
        source="scanner",
    )
    return blog.decisions.get()
