"""The service units a case is about: those its messages name, attached and shown; a person adds or removes
them; the repeat rule works for cases that arrived by mail."""

import datetime

import pytest

from frontline.cases import services
from frontline.cases.models import Case
from frontline.core import clock
from frontline.customers import services as customers
from frontline.customers.mentions import named_units
from frontline.events.models import Event
from frontline.intake.tests.helpers import deliver, mail

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def castle(db):
    """A fibre line with six host addresses behind it, and a mailbox."""
    castle = customers.create_customer(name="Castle Property", customer_since=datetime.date(2015, 6, 1))
    line = customers.add_unit(castle, kind="line", name="FTTP-CASTLE-01", hostname="cpe-castle")
    for n in (17, 18):
        customers.add_unit(castle, kind="host", name=f"192.0.2.{n}", parent=line, ip_address=f"192.0.2.{n}")
    customers.add_unit(castle, kind="mailbox", name="office@castle-pm.example", hostname="mx-2")
    customers.add_unit(castle, kind="site", name="castle-pm.example", hostname="web-03", end_users=300)
    return castle


def _names(units) -> list[str]:
    return [u.name for u in units]


def test_units_are_named_as_customers_write_them(castle):
    # a line id in any case, an IP address, a mailbox, a site under www., the line's own host name
    assert _names(named_units(castle.pk, "Our line fttp-castle-01 dropped")) == ["FTTP-CASTLE-01"]
    assert _names(named_units(castle.pk, "192.0.2.18 answers no ping.")) == ["192.0.2.18"]
    assert _names(named_units(castle.pk, "office@castle-pm.example gets no mail")) == [
        "castle-pm.example",
        "office@castle-pm.example",
    ]
    assert _names(named_units(castle.pk, "https://www.castle-pm.example/ is slow")) == ["castle-pm.example"]
    assert _names(named_units(castle.pk, "the router cpe-castle rebooted")) == ["FTTP-CASTLE-01"]
    # but a site's shared server, plain words and someone else's units name nothing of theirs
    assert named_units(castle.pk, "is web-03 down? our site and line are fine") == []
    assert named_units(castle.pk, "walkerblog.example and 192.0.2.99") == []


def test_a_mailed_case_about_a_unit_we_fixed_last_week_is_a_repeat(sam, blog, tom, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # given Sam's blog outage, opened with the blog and closed ten days ago
    with clock.frozen_at(NOON - datetime.timedelta(days=10)):
        earlier = services.open_case(
            customer=sam, subject="Site down", body="down", channel="phone", impact="down", units=[blog]
        )
        services.change_status(earlier, status="closed", by=tom, resolution_notes="Restarted PHP")
    # when Sam mails that www.walkerblog.example is down again
    with clock.frozen_at(NOON):
        deliver(
            mail(subject="Down again", body="www.walkerblog.example answers 503 again.", message_id="<r@w>")
        )
    case = Case.objects.exclude(pk=earlier.pk).get()
    # then the new case is about the blog, says why, and is a repeat of the case we closed
    assert _names(case.affected_units.all()) == ["walkerblog.example"]
    attached = Event.objects.get(case=case, kind="case.units_attached")
    assert (
        attached.data["names"] == ["walkerblog.example"] and attached.data["reason"] == "named in the message"
    )
    assert case.repeat_of_id == earlier.pk and case.failure_reason == f"repeat of {earlier.ref}"


def test_a_later_message_adds_the_units_it_names_and_a_person_removes_one(castle, signed_in, tom):
    # given Castle's case about the line, opened by a message that named it
    with clock.frozen_at(NOON):
        case = services.open_case(
            customer=castle, subject="Line down", body="FTTP-CASTLE-01 is dark", channel="chat"
        )
    assert _names(case.affected_units.all()) == ["FTTP-CASTLE-01"]
    # when a later message names the site, in passing
    with clock.frozen_at(NOON + datetime.timedelta(minutes=5)):
        services.record_inbound_message(case, channel="chat", body="so castle-pm.example is unreachable too")
    case.refresh_from_db()
    assert _names(case.affected_units.order_by("name")) == ["FTTP-CASTLE-01", "castle-pm.example"]
    assert case.affected_reach == 300
    # then the case page lists both, each with a way to remove it
    page = signed_in.get(f"/cases/{case.ref}/").content.decode()
    site = castle.units.get(kind="site")
    assert f"/cases/{case.ref}/units/{site.pk}/remove" in page and "FTTP-CASTLE-01" in page
    # when Tom removes the site: it goes, with its event, and the reach with it
    answer = signed_in.post(f"/cases/{case.ref}/units/{site.pk}/remove")
    assert answer.status_code == 302
    case.refresh_from_db()
    assert _names(case.affected_units.all()) == ["FTTP-CASTLE-01"] and case.affected_reach == 0
    removed = Event.objects.get(case=case, kind="case.unit_detached")
    assert removed.actor_id == tom.pk and removed.data["name"] == "castle-pm.example"
    # and removing it again is a clear refusal, not an error page
    again = signed_in.post(f"/cases/{case.ref}/units/{site.pk}/remove")
    assert again.status_code == 400 and "is not attached" in again.content.decode()


def test_the_api_lists_attaches_and_removes_units(castle, sam, blog, signed_in):
    with clock.frozen_at(NOON):
        case = services.open_case(customer=castle, subject="Slow", body="everything is slow", channel="api")
    assert signed_in.get(f"/api/v1/cases/{case.ref}/units").json() == []
    mailbox = castle.units.get(kind="mailbox")
    attached = signed_in.post(
        f"/api/v1/cases/{case.ref}/units",
        {"unit_ids": [mailbox.pk], "reason": "their mail bounces"},
        content_type="application/json",
    )
    assert attached.status_code == 200 and [u["name"] for u in attached.json()] == [
        "office@castle-pm.example"
    ]
    assert signed_in.get(f"/api/v1/cases/{case.ref}").json()["units"][0]["kind"] == "mailbox"
    # another customer's unit is refused with a message, and nothing changes
    refused = signed_in.post(
        f"/api/v1/cases/{case.ref}/units", {"unit_ids": [blog.pk]}, content_type="application/json"
    )
    assert refused.status_code == 400 and "another customer" in refused.json()["detail"]
    removed = signed_in.delete(f"/api/v1/cases/{case.ref}/units/{mailbox.pk}")
    assert removed.status_code == 200 and removed.json() == []
