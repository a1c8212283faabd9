"""Anyone can type anyone's address into a chat: an unproven chat never joins, reads or receives anything of a
customer's case. A signed identity from the provider's control panel, the emailed link, or an agent vouching
proves it."""

import re

import pytest
from django.urls import reverse

from frontline.cases import services as cases
from frontline.cases.models import Case, Channel, Direction
from frontline.events.models import Event, EventKind
from frontline.intake import public
from frontline.intake.tests.helpers import deliver, mail

pytestmark = pytest.mark.django_db

SAMS_WORDS = "walkerblog.example answers 503 since this morning."


def _chat(client, *, body=SAMS_WORDS, email="sam@walkerblog.example", identity=""):
    return client.post(
        reverse("intake:chat_start"),
        {"name": "Sam Walker", "email": email, "body": body, "identity": identity},
        content_type="application/json",
    )


@pytest.fixture
def sams_case(sam, tom):
    case = deliver(mail()).case
    cases.assign_case(case, assignee=tom, by=tom)
    return case


def test_a_chat_claiming_a_customers_address_is_held_apart_from_their_case(
    client, mailoutbox, sams_case, tom
):
    # when a stranger starts a chat as Sam, in Sam's own words
    started = _chat(client)
    # then it is a case of its own, marked as an unproven claim, and Sam's case is untouched
    assert started.status_code == 201 and started.json()["unproven"] is True
    held = Case.objects.get(pk=Case.pk_from_ref(started.json()["case"]))
    assert held.pk != sams_case.pk and held.unproven_claim == "sam@walkerblog.example"
    assert not sams_case.messages.filter(channel=Channel.CHAT).exists()
    # the stranger sees only their own lines
    lines = client.get(f"/chat/{started.json()['token']}/messages").json()["messages"]
    assert [line["body"] for line in lines] == [SAMS_WORDS]
    # Tom's reply on Sam's case still goes to Sam by email, not to the stranger's widget
    sent_before = len(mailoutbox)
    cases.reply_to_case(sams_case, by=tom, body="We are restarting web-07.")
    assert sams_case.messages.filter(direction=Direction.OUTBOUND).get().channel == Channel.EMAIL
    assert len(mailoutbox) == sent_before + 1 and mailoutbox[-1].to[0].lower() == "sam@walkerblog.example"
    # and the held case cannot be merged into Sam's until someone proves who wrote it
    with pytest.raises(Exception, match="proven"):
        cases.merge_cases(held, into=sams_case, by=tom)


def test_the_case_page_says_who_the_sender_claims_to_be_and_an_agent_can_vouch(client, signed_in, sam, tom):
    started = _chat(client)
    held = Case.objects.get(pk=Case.pk_from_ref(started.json()["case"]))
    page = signed_in.get(f"/cases/{held.ref}/").content.decode()
    assert "Claims to be Sam Walker (sam@walkerblog.example): unproven" in page
    # an empty reason is refused; a reason is recorded and shown as vouching
    assert signed_in.post(f"/cases/{held.ref}/vouch", {"reason": " "}).status_code == 400
    signed_in.post(f"/cases/{held.ref}/vouch", {"reason": "called him back on his mobile"})
    held.refresh_from_db()
    assert held.unproven_claim == ""
    page = signed_in.get(f"/cases/{held.ref}/").content.decode()
    assert "vouched for by Tom Becker" in page and "called him back on his mobile" in page
    assert "unproven" not in page


def test_the_emailed_link_proves_the_chat_only_when_its_button_is_pressed(client, mailoutbox, sam):
    started = _chat(client)
    held = Case.objects.get(pk=Case.pk_from_ref(started.json()["case"]))
    ask = mailoutbox[-1]
    # our fixed words go to the claimed address, never the sender's
    assert ask.to[0].lower() == "sam@walkerblog.example" and SAMS_WORDS not in ask.body
    link = re.search(r"http://\S+/chat/confirm/\S+/", ask.body).group(0).replace("http://127.0.0.1:8000", "")
    client.get(link)  # a mail scanner following the link proves nothing
    held.refresh_from_db()
    assert held.unproven_claim
    assert client.post(link).status_code == 200
    held.refresh_from_db()
    assert held.unproven_claim == ""
    proven = Event.objects.get(case=held, kind=EventKind.IDENTITY_PROVEN)
    assert proven.data["how"] == "their emailed link" and proven.actor is None


def test_a_chat_with_the_control_panels_signed_identity_joins_the_customers_case(client, settings, sams_case):
    settings.FRONTLINE_CHAT_IDENTITY_SECRET = "shared-with-the-control-panel"
    forged = _chat(client, identity="0" * 64)
    assert forged.json()["unproven"] is True
    signed = _chat(client, identity=public.chat_identity("Sam@WalkerBlog.example"))
    assert signed.status_code == 201 and signed.json()["unproven"] is False
    assert signed.json()["case"] == sams_case.ref  # threaded like mail: the same problem, the same case


def test_the_widget_carries_the_signed_identity_it_was_embedded_with(client):
    page = client.get("/chat/?name=Sam&email=sam%40walkerblog.example&identity=abc123").content.decode()
    assert 'data-identity="abc123"' in page and 'value="sam@walkerblog.example"' in page
