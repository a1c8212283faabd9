import pytest

from frontline.intake.tests.helpers import listener  # noqa: F401 (a fixture: pytest finds it in a conftest)
from frontline.routing.tests.helpers import history, trained  # noqa: F401 (as above)


@pytest.fixture
def helen(db):
    """A second customer, for threading that must not cross accounts."""
    from frontline.customers import services as customers

    customer = customers.create_customer(name="Castle Property Management", plan="fibre")
    person = customers.add_person(customer, name="Helen Castle")
    customers.verify_contact_point(
        customers.add_contact_point(person=person, kind="email", value="helen@castle-pm.example")
    )
    return customer
