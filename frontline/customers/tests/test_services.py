import pytest

from frontline.core.errors import ServiceError
from frontline.customers import services
from frontline.customers.models import ContactState, UnitState
from frontline.events.models import Event, EventKind

pytestmark = pytest.mark.django_db


def test_creating_a_customer_records_an_event():
    # given / when a new account is created
    customer = services.create_customer(
        name="  Castle Property Management ", plan="fibre", tier="priority", monthly_value="640"
    )
    # then it is stored tidy and its creation is in the history
    assert customer.name == "Castle Property Management"
    assert str(customer.monthly_value) == "640.00"
    event = Event.objects.get(customer=customer)
    assert event.kind == EventKind.CUSTOMER_CREATED
    assert event.data == {"plan": "fibre", "tier": "priority"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"plan": "platinum"}, "plan"),
        ({"monthly_value": "-3"}, "monthly_value"),
        ({"monthly_value": "lots"}, "monthly_value"),
        ({"tier": "gold"}, "tier"),
    ],
)
def test_bad_customer_input_is_refused_with_the_field_and_writes_nothing(changes, field):
    # given valid defaults, when one field is bad
    data = {"name": "Shop", **changes}
    # then the service names the field, and nothing was written
    with pytest.raises(ServiceError) as refused:
        services.create_customer(**data)
    assert refused.value.field == field
    assert not Event.objects.exists()


def test_an_update_records_before_and_after(sam):
    services.update_customer(sam, plan="business", monthly_value="25")
    event = Event.objects.filter(kind=EventKind.CUSTOMER_UPDATED).get()
    assert event.data["before"] == {"plan": "starter", "monthly_value": "6.99"}
    assert event.data["after"] == {"plan": "business", "monthly_value": "25.00"}


def test_one_expert_acts_for_many_accounts():
    # given Renee, who manages mail for two client businesses
    okafor = services.create_customer(name="Okafor Consulting")
    renee = services.add_person(okafor, name="Renee Okafor")
    client = services.create_customer(name="Client 01")
    # when she is linked to the client as a delegate
    services.link_person(renee, client, role="delegate")
    # then she acts for both, and linking twice is refused
    assert set(renee.accounts.values_list("name", flat=True)) == {"Okafor Consulting", "Client 01"}
    with pytest.raises(ServiceError):
        services.link_person(renee, client, role="delegate")


@pytest.mark.parametrize(
    ("kind", "value", "normalized"),
    [
        ("email", " Sam@WalkerBlog.Example ", "sam@walkerblog.example"),
        ("phone", "+44 (7700) 900-123", "+447700900123"),
    ],
)
def test_contact_points_are_normalized_for_matching(sam_person, kind, value, normalized):
    point = services.add_contact_point(person=sam_person, kind=kind, value=value)
    assert point.normalized == normalized
    assert point.state == ContactState.UNVERIFIED


@pytest.mark.parametrize(
    ("kind", "value"),
    [("email", "not-an-address"), ("phone", "12"), ("webhook", "http://x"), ("fax", "123456")],
)
def test_impossible_contact_points_are_refused(sam_person, kind, value):
    with pytest.raises(ServiceError):
        services.add_contact_point(person=sam_person, kind=kind, value=value)


def test_a_failing_contact_is_evidence_and_leaves_a_customer_without_channel_flagged():
    # given Castle, whose only address is the ops mailbox
    castle = services.create_customer(name="Castle Property Management", plan="fibre")
    ops = services.add_contact_point(customer=castle, kind="email", value="ops@castle-pm.example")
    assert services.has_working_channel(castle)
    # when a bounce shows the mailbox no longer exists
    services.mark_contact_failing(ops, reason="550 5.1.1 mailbox unavailable", via="email")
    # then the address is failing with its evidence and Castle has no working channel
    ops.refresh_from_db()
    assert ops.state == ContactState.FAILING and "5.1.1" in ops.failure_reason
    assert not services.has_working_channel(castle)
    event = Event.objects.get(kind=EventKind.CONTACT_FAILING)
    assert event.customer == castle and event.data["reason"].startswith("550")


def test_units_form_a_tree_within_one_customer(sam, blog):
    other = services.create_customer(name="Someone Else")
    with pytest.raises(ServiceError):
        services.add_unit(other, kind="site", name="x.example", parent=blog)
    with pytest.raises(ServiceError):
        services.add_unit(sam, kind="host", name="h", ip_address="999.1.1.1")


def test_unit_state_changes_are_recorded_once(blog):
    services.set_unit_state(blog, UnitState.DOWN, reason="SiteDown firing", actor_label="alertmanager")
    services.set_unit_state(blog, UnitState.DOWN, reason="still firing", actor_label="alertmanager")
    events = Event.objects.filter(kind=EventKind.UNIT_STATE_CHANGED, unit=blog)
    assert [(e.data["previous"], e.data["state"]) for e in events] == [("ok", "down")]


@pytest.mark.parametrize(
    "query", ["Walker", "sam@walkerblog.example", "+44 7700 900456", "walkerblog.example", "192.0.2.44"]
)
def test_an_agent_finds_a_caller_by_what_they_say_first(sam, blog, query):
    # given Sam's site has an address, and another customer exists
    services.add_unit(sam, kind="host", name="walker-host", ip_address="192.0.2.44")
    services.create_customer(name="Castle Property Management")
    # when an agent looks up what the caller says
    found = list(services.find_customers(query))
    # then Sam, and only Sam, is found
    assert [c.name for c in found] == ["Sam Walker"]


def test_lookup_of_nothing_finds_nothing(sam):
    assert list(services.find_customers("   ")) == []
    assert list(services.find_customers("nobody-by-this-name")) == []
