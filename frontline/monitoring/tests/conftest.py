import pytest

from frontline.customers import services as customers
from frontline.monitoring import services
from frontline.monitoring.models import Component, Health, LooksUp
from frontline.monitoring.tests.payloads import SECRET


@pytest.fixture
def alertmanager(db):
    return services.add_source(name="alertmanager", kind="alertmanager", secret=SECRET)


@pytest.fixture
def web07(db) -> Component:
    return services.add_component(name="web-07", kind="server", group="Web hosting")


@pytest.fixture
def site_matchers(blog, web07, priya):
    """site= names a customer's unit first; instance= a component of ours, second."""
    blog.labels = {"site": "walkerblog.example", "instance": "web-07"}
    blog.save(update_fields=["labels"])
    return [
        services.save_matcher(label="site", looks_up=LooksUp.UNIT_NAME, position=10, by=priya),
        services.save_matcher(
            label="instance", looks_up=LooksUp.COMPONENT, position=20, health=Health.DEGRADED, by=priya
        ),
    ]


@pytest.fixture
def post_json(client, alertmanager, django_capture_on_commit_callbacks):
    """POST a payload to the webhook as Alertmanager does (bearer), answered by the real view; what the
    view leaves for after its commit runs as it would outside the test's transaction."""

    def post(payload, *, source="alertmanager", headers=None):
        import json

        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/monitoring/hooks/{source}/",
                data=json.dumps(payload),
                content_type="application/json",
                headers=headers if headers is not None else {"Authorization": f"Bearer {SECRET}"},
            )

    return post


@pytest.fixture
def relay_clients(db):
    """Three customers with a mailbox relayed through smtp-2, and one whose mailbox goes through smtp-1."""
    import datetime

    made = []
    for n, relay in enumerate(["smtp-2", "smtp-2", "smtp-2", "smtp-1"]):
        customer = customers.create_customer(
            name=f"Client {n}", plan="business", customer_since=datetime.date(2020, 1, 1), monthly_value="9"
        )
        customers.add_unit(
            customer, kind="mailbox", name=f"office@client{n}.example", labels={"relay": relay}
        )
        made.append(customer)
    return made
