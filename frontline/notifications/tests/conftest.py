import pytest

from frontline.core import clock
from frontline.notifications import services
from frontline.notifications.tests.helpers import T0


@pytest.fixture
def sam_phone(sam):
    return sam.people.get().contacts.get(kind="phone")


@pytest.fixture
def sam_email(sam):
    return sam.people.get().contacts.get(kind="email")


@pytest.fixture
def critical(sam, smtp_server, receiver):
    """A critical notification to Sam, started at T0: email, SMS at 15 min, call at 1 h, a person at 4 h."""
    with clock.frozen_at(T0):
        return services.notify(
            sam,
            subject_kind="incident",
            subject_id="INC-7",
            title="web-07 is down",
            body="Your site walkerblog.example is down because server web-07 failed. We are restoring it.",
            urgency="critical",
        )


@pytest.fixture
def signed_in_lead(client, priya):
    """A browser session of Priya's: telling many customers at once is a team lead's action."""
    client.force_login(priya.user)
    return client
