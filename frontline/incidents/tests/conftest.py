import datetime

import pytest

from frontline.customers import services as customers
from frontline.monitoring import services as monitoring
from frontline.monitoring.models import Health, LooksUp
from frontline.monitoring.tests.conftest import alertmanager, post_json, relay_clients, web07  # noqa: F401
from frontline.monitoring.tests.payloads import SECRET  # noqa: F401


@pytest.fixture
def sam_monitored(blog, web07, priya):  # noqa: F811 (web07 is the fixture above)
    """Sam's blog with the labels monitoring uses, and matchers: site= first, then instance=."""
    blog.labels = {"site": "walkerblog.example", "instance": "web-07"}
    blog.end_users = 2400
    blog.save(update_fields=["labels", "end_users"])
    monitoring.save_matcher(label="site", looks_up=LooksUp.UNIT_NAME, position=10, by=priya)
    monitoring.save_matcher(
        label="instance", looks_up=LooksUp.COMPONENT, position=20, health=Health.DOWN, by=priya
    )
    return blog


@pytest.fixture
def okafor(db):
    """Renee Okafor acts for three client accounts whose mailboxes go through smtp-2; each client also
    has its own owner; a fourth customer's mailbox goes through smtp-1."""
    renee_home = customers.create_customer(
        name="Okafor Consulting",
        plan="business",
        customer_since=datetime.date(2014, 3, 12),
        monthly_value="85",
    )
    renee = customers.add_person(renee_home, name="Renee Okafor")
    customers.verify_contact_point(
        customers.add_contact_point(person=renee, kind="email", value="renee@okafor.example")
    )
    clients = []
    for n, relay in enumerate(["smtp-2", "smtp-2", "smtp-2", "smtp-1"], start=1):
        client = customers.create_customer(
            name=f"Client {n:02d}",
            plan="business",
            customer_since=datetime.date(2018, 1, 1),
            monthly_value="29",
        )
        customers.add_unit(client, kind="mailbox", name=f"office@client{n}.example", hostname=relay)
        if relay == "smtp-2":
            customers.link_person(renee, client, role="delegate")
        owner = customers.add_person(client, name=f"Owner {n}")
        customers.verify_contact_point(
            customers.add_contact_point(person=owner, kind="email", value=f"owner@client{n}.example")
        )
        clients.append(client)
    relay = monitoring.add_component(name="smtp-2", kind="relay", group="Mail")
    monitoring.add_component(name="smtp-1", kind="relay", group="Mail")
    return {"renee": renee, "clients": clients, "relay": relay}
