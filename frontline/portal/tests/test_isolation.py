"""A customer sees only their own accounts' data: on every portal page, feed, link and file. Sam, signed in,
names Castle's ids on each page that takes one and gets the same 404 as for an id that does not exist; the
pages that list things never show Castle's."""

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from frontline import access
from frontline.cases import services as cases
from frontline.cases.models import Attachment
from frontline.customers.models import ContactPoint
from frontline.notifications import services as notifications
from frontline.policy import services as policy
from frontline.portal import feeds, links
from frontline.portal.visitor import Visitor
from frontline.tests.helpers import portal_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def castles(castle, nadia, django_capture_on_commit_callbacks):
    """Castle's things a path can name: its case (with a file), a held host, a contact point, a notice."""
    case = castle.cases.get()
    helen = castle.people.get()
    portal_client(Visitor(account_ids=[castle.pk], account_id=castle.pk, person_id=helen.pk)).post(
        f"/portal/cases/{case.ref}/reply",
        {"body": "the tenant list", "files": [SimpleUploadedFile("tenants.csv", b"castle,secret")]},
    )
    policy.save_rule(
        by=nadia,
        name="Contain",
        trigger="malware_scan",
        condition="event.infected",
        action="contain",
        severity="standard",
    )
    host = castle.units.get(kind="host")
    policy.receive_events(
        [{"trigger": "malware_scan", "facts": {"infected": True}, "unit": {"unit_id": host.pk}}],
        source="scanner",
    )
    return {
        "case": case,
        "file": Attachment.objects.get(filename="tenants.csv"),
        "decision": host.decisions.get(),
        "point": ContactPoint.objects.get(normalized="ops@castle-pm.example"),
        "notice": notifications.notify(
            castle, subject_kind="incident", subject_id="INC-7", title="Castle only", body="b"
        ),
    }


def _paths(c: dict) -> dict[str, tuple[str, str, dict]]:
    ref = c["case"].ref
    return {
        "portal:case": ("get", reverse("portal:case", kwargs={"ref": ref}), {}),
        "portal:reply": ("post", reverse("portal:reply", kwargs={"ref": ref}), {"body": "hello"}),
        "portal:confirm": ("post", reverse("portal:confirm", kwargs={"ref": ref}), {"answer": "yes"}),
        "portal:attachment": (
            "get",
            reverse("portal:attachment", kwargs={"ref": ref, "pk": c["file"].pk}),
            {},
        ),
        "portal:acknowledge": ("post", reverse("portal:acknowledge", kwargs={"pk": c["notice"].pk}), {}),
        "portal:rescan": ("post", reverse("portal:rescan", kwargs={"pk": c["decision"].pk}), {}),
        "portal:ask": ("post", reverse("portal:ask", kwargs={"pk": c["decision"].pk}), {"words": "hi"}),
        "portal:contact_correct": (
            "post",
            reverse("portal:contact_correct", kwargs={"pk": c["point"].pk}),
            {"value": "x@example.com"},
        ),
        "portal:contact_retire": ("post", reverse("portal:contact_retire", kwargs={"pk": c["point"].pk}), {}),
        "portal:contact_verify": ("post", reverse("portal:contact_verify", kwargs={"pk": c["point"].pk}), {}),
        "portal:switch": ("post", reverse("portal:switch"), {"account": str(c["case"].customer_id)}),
    }


def test_every_portal_route_that_takes_an_id_is_covered_here(castles):
    taking_ids = {
        name
        for name, who in access.PAGES.items()
        if name.startswith("portal:") and who in (access.CUSTOMER, access.CUSTOMER_LINK)
    } - {"portal:home", "portal:services", "portal:incidents", "portal:contacts", "portal:contact_add"}
    assert taking_ids == set(_paths(castles))


@pytest.mark.parametrize(
    "name",
    [
        "portal:case",
        "portal:reply",
        "portal:confirm",
        "portal:attachment",
        "portal:acknowledge",
        "portal:rescan",
        "portal:ask",
        "portal:contact_correct",
        "portal:contact_retire",
        "portal:contact_verify",
        "portal:switch",
    ],
)
def test_another_customers_id_is_refused_and_nothing_changes(sam_portal, castles, name):
    method, path, form = _paths(castles)[name]
    before = _state(castles)
    answer = getattr(sam_portal, method)(path, form)
    assert answer.status_code == 404, f"{name}: {answer.status_code}"
    assert _state(castles) == before


def _state(c: dict) -> tuple:
    case, point, notice, decision = c["case"], c["point"], c["notice"], c["decision"]
    for thing in (case, point, notice, decision):
        thing.refresh_from_db()
    return (case.status, case.messages.count(), point.state, notice.status, decision.status)


def test_no_listing_page_shows_another_customers_data(sam_portal, castles):
    for path in ("/portal/", "/portal/services/", "/portal/incidents/", "/portal/contacts/"):
        page = sam_portal.get(path).content.decode()
        for castles_words in (
            "Tenant VPN",
            "192.0.2.18",
            "ops@castle-pm.example",
            "Castle only",
            "Castle Property",
        ):
            assert castles_words not in page, f"{path} shows {castles_words}"


def test_a_link_for_one_customers_case_opens_nothing_of_another(client, castles, sam, sam_person):
    # given Sam holds the link to a case of his
    mine = cases.open_case(customer=sam, requester=sam_person, subject="Blog", body="503", channel="email")
    client.get(links.case_link(mine).split("8000")[-1])
    # then Castle's case, file and notice stay closed to him
    assert client.get(f"/portal/cases/{castles['case'].ref}/").status_code == 404
    assert client.get(f"/portal/cases/{castles['case'].ref}/files/{castles['file'].pk}").status_code == 404
    assert client.post(f"/portal/notices/{castles['notice'].pk}/acknowledge").status_code == 404


def _swap_payload(token: str, other: str) -> str:
    """`token` with the signed data of `other` put in place of its own (the signature stays token's)."""
    return ":".join([other.split(":")[0], *token.split(":")[1:]])


def test_a_link_cannot_be_altered_to_name_another_customers_case(client, castles, sam, sam_person):
    mine = cases.open_case(customer=sam, requester=sam_person, subject="Blog", body="503", channel="email")
    token = links.case_link(mine).rstrip("/").rsplit("/", 1)[1]
    theirs = links.case_link(castles["case"]).rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/portal/open/{_swap_payload(token, theirs)}/").status_code == 400
    signed_elsewhere = signing.dumps(
        {"case": castles["case"].pk, "customer": castles["case"].customer_id},
        salt=links.CASE_SALT,
        key="x" * 50,
    )
    assert client.get(f"/portal/open/{signed_elsewhere}/").status_code == 400
    assert client.get(f"/portal/cases/{castles['case'].ref}/").status_code == 302  # still not let in


def test_each_accounts_feed_carries_only_its_own_and_cannot_be_altered(client, castles, sam):
    castle_id = castles["case"].customer_id
    castle_feed = feeds.feed_link(castle_id).split("8000")[-1]
    sam_feed = feeds.feed_link(sam.pk).split("8000")[-1]
    assert client.get(castle_feed).status_code == 200
    sam_token = sam_feed.rsplit("/", 1)[1].removesuffix(".atom")
    castle_token = castle_feed.rsplit("/", 1)[1].removesuffix(".atom")
    assert client.get(f"/portal/feed/{_swap_payload(sam_token, castle_token)}.atom").status_code == 404
    # and a feed's URL does not open the calendar, nor the calendar's the feed
    assert client.get(f"/portal/calendar/{castle_token}.ics").status_code == 404
