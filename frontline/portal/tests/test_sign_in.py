"""Signing in to the portal by a one-time link mailed to an address we hold."""

import re
from datetime import timedelta

import pytest

from frontline.core import clock
from frontline.customers import services as customers
from frontline.events.models import Event
from frontline.portal import events
from frontline.portal.models import SignInLink

pytestmark = pytest.mark.django_db


def _link_in(mailbox) -> str:
    return re.search(r"http://\S+/portal/sign-in/(\S+)/", mailbox[-1].body).group(1)


def test_the_page_answers_alike_for_a_known_and_an_unknown_address(client, sam, mailoutbox):
    # when someone asks for a link for Sam's address and for an address nobody has
    known = client.post("/portal/sign-in/", {"email": "sam@walkerblog.example"})
    unknown = client.post("/portal/sign-in/", {"email": "nobody@example.net"})
    # then both pages read the same, and only Sam was mailed
    assert known.status_code == unknown.status_code == 200
    said = "If we know that address, a sign-in link is on its way"
    assert said in known.content.decode() and said in unknown.content.decode()
    assert [m.to for m in mailoutbox] == [["Sam@WalkerBlog.example"]]
    assert "works once" in known.content.decode()


def test_a_link_signs_in_once_and_only_by_its_button(client, sam, sam_person, mailoutbox):
    # given Sam asked for a link
    client.post("/portal/sign-in/", {"email": "Sam@walkerblog.example"})
    token = _link_in(mailoutbox)
    # when a mail scanner follows it, nothing is used and nobody is signed in
    page = client.get(f"/portal/sign-in/{token}/")
    assert page.status_code == 200 and b"Sam@WalkerBlog.example" in page.content
    assert SignInLink.objects.get().used_at is None
    assert client.get("/portal/").status_code == 302
    # when Sam presses the button
    signed = client.post(f"/portal/sign-in/{token}/")
    assert signed.status_code == 302 and signed["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    assert Event.objects.filter(kind=events.SIGNED_IN, actor_person=sam_person).count() == 1
    # then the same link does not work a second time, in another browser either
    again = client.post(f"/portal/sign-in/{token}/")
    assert again.status_code == 400 and b"used already" in again.content


def test_an_expired_or_made_up_link_is_refused(client, sam, mailoutbox):
    client.post("/portal/sign-in/", {"email": "sam@walkerblog.example"})
    token = _link_in(mailoutbox)
    SignInLink.objects.update(expires_at=clock.now() - timedelta(seconds=1))
    assert b"expired" in client.post(f"/portal/sign-in/{token}/").content
    assert client.post("/portal/sign-in/made-up/").status_code == 400
    assert client.get("/portal/").status_code == 302


def test_a_failing_address_gets_no_link(client, sam, sam_person, mailoutbox):
    # given Sam's mailbox bounces
    point = sam_person.contacts.get(kind="email")
    point.state = "failing"
    point.save()
    # when a link is asked for it, none is sent (the answer is the same)
    assert client.post("/portal/sign-in/", {"email": "sam@walkerblog.example"}).status_code == 200
    assert mailoutbox == []


def test_asking_too_often_is_throttled(client, settings, sam, mailoutbox):
    settings.FRONTLINE_PUBLIC_RATE = 2
    answers = [
        client.post("/portal/sign-in/", {"email": "sam@walkerblog.example"}).status_code for _ in range(3)
    ]
    assert answers == [200, 200, 429]


def test_a_person_acting_for_several_accounts_switches_between_them(
    client, sam, sam_person, castle, mailoutbox
):
    # given Sam also acts for Castle
    customers.link_person(sam_person, castle, role="delegate")
    client.post("/portal/sign-in/", {"email": "sam@walkerblog.example"})
    client.post(f"/portal/sign-in/{_link_in(mailoutbox)}/")
    # when he switches to Castle, its problems show and Sam Walker's do not
    assert b"Switch" in client.get("/portal/").content
    client.post("/portal/account", {"account": castle.pk})
    home = client.get("/portal/").content.decode()
    assert "Tenant VPN drops at night" in home
    # and an account he does not act for cannot be switched to
    assert client.post("/portal/account", {"account": 987654}).status_code == 404
