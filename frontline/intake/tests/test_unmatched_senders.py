"""A sender no account holds is not a customer: an unmatched sender until a person says who they are, or they
prove an address we hold. Then their cases move to the account, and a case about a problem the account
already has open joins it."""

import datetime
import re

import pytest
from django.urls import reverse

from frontline.agents.services import issue_api_token
from frontline.cases.models import Case
from frontline.customers import services as customers
from frontline.customers.models import ContactPoint, Customer
from frontline.events.models import Event
from frontline.intake.tests.helpers import deliver, mail

pytestmark = pytest.mark.django_db

LINE_DOWN = "Our line FTTP-CASTLE-01 is down since 09:00, no sync light."


@pytest.fixture
def castle(db):
    """Castle Property: a fibre line, the site castle-pm.example, Helen Castle known by phone only, and an
    open case about the line that came by the account's ops mailbox."""
    castle = customers.create_customer(
        name="Castle Property", plan="fibre", customer_since=datetime.date(2015, 6, 1), monthly_value="240"
    )
    customers.add_unit(castle, kind="line", name="FTTP-CASTLE-01", hostname="cpe-castle")
    customers.add_unit(castle, kind="site", name="castle-pm.example", hostname="web-03")
    helen = customers.add_person(castle, name="Helen Castle")
    customers.add_contact_point(person=helen, kind="phone", value="+44 7700 900123", label="mobile")
    customers.add_contact_point(customer=castle, kind="email", value="ops@castle-pm.example")
    open_case = deliver(
        mail(sender="ops@castle-pm.example", subject="Line down", body=LINE_DOWN, message_id="<ops1@castle>")
    ).case
    return {"account": castle, "helen": helen, "case": open_case}


def _chat(client, *, name, email, body):
    started = client.post(
        reverse("intake:chat_start"),
        {"name": name, "email": email, "body": body},
        content_type="application/json",
    )
    assert started.status_code == 201
    return Case.objects.select_related("customer").get(pk=Case.pk_from_ref(started.json()["case"]))


def test_helen_chatting_from_an_address_we_do_not_hold_is_not_made_a_customer(
    client, castle, signed_in, mailoutbox
):
    accounts_before = Customer.objects.filter(standing="customer").count()
    # when Helen chats from an address no account holds, about the line
    held = _chat(client, name="Helen Castle", email="helen@castle-pm.example", body=LINE_DOWN)
    # then no customer is made: the chat's case belongs to an unmatched sender
    assert Customer.objects.filter(standing="customer").count() == accounts_before
    assert held.customer.standing == "unmatched" and held.customer.name == "Helen Castle"
    assert held.pk != castle["case"].pk
    # and the case page says so, suggesting Helen of Castle Property (same name, and the address's domain)
    page = signed_in.get(f"/cases/{held.ref}/").content.decode()
    assert "Who is this?" in page and "not a customer" in page and "0.00 a month" not in page
    helen, account = castle["helen"], castle["account"]
    assert f'value="person:{helen.pk}:{account.pk}"' in page
    # when Tom says she is Helen of Castle Property
    answer = signed_in.post(f"/cases/{held.ref}/match-sender", {"target": f"person:{helen.pk}:{account.pk}"})
    # then her address is Helen's and the case is Castle's, but still held apart: she has not proven the
    # address, so it joins nothing of the account's yet
    assert answer.status_code == 302 and answer["Location"] == f"/cases/{held.ref}/"
    assert ContactPoint.objects.get(normalized="helen@castle-pm.example").person_id == helen.pk
    held.refresh_from_db()
    assert held.customer_id == account.pk and held.requester_id == helen.pk and held.merged_into_id is None
    # when she presses the link we mailed her, her chat joins the open case about the line
    link = re.search(r"http://\S+/chat/confirm/\S+/", mailoutbox[-1].body).group(0)
    assert client.post(link.replace("http://127.0.0.1:8000", "")).status_code == 200
    held.refresh_from_db()
    assert held.merged_into_id == castle["case"].pk
    assert castle["case"].messages.filter(channel="chat", author_person=helen).count() == 1
    moved = Event.objects.get(case=held, kind="case.customer_changed")
    assert (
        moved.data["from_name"] == "Helen Castle"
        and "is Helen Castle of Castle Property" in moved.data["reason"]
    )
    # and the sender's record stays, marked matched, for the events that name it
    sender = Customer.objects.get(pk=moved.data["from_id"])
    assert sender.standing == "matched" and sender.matched_into_id == account.pk


def test_a_stranger_matched_through_the_api_joins_the_account_as_a_new_person(castle, signed_in):
    # given a mail from an address nobody holds, about something else than the open case
    row = deliver(
        mail(sender="Ana Ruiz <ana@ruiz.example>", subject="Invoice copy", body="Send me March's invoice")
    )
    sender = row.case.customer
    assert sender.standing == "unmatched"
    # when an integration says she belongs to Castle Property
    answer = signed_in.post(
        f"/api/v1/customers/{sender.pk}/match",
        {"into_customer_id": castle["account"].pk},
        content_type="application/json",
    )
    assert answer.status_code == 200
    body = answer.json()
    # then her case moved, not merged (another problem), and she is a new person of the account
    assert body["cases"] == [{"ref": row.case.ref, "merged_into": None}]
    assert Case.objects.get(pk=row.case.pk).customer_id == castle["account"].pk
    assert castle["account"].people.filter(pk=body["person_id"], name="Ana Ruiz").exists()
    # and matching again, or matching a real customer, is a clear refusal
    again = signed_in.post(
        f"/api/v1/customers/{sender.pk}/match",
        {"into_customer_id": castle["account"].pk},
        content_type="application/json",
    )
    assert again.status_code == 400 and "not an unmatched sender" in again.json()["detail"]


def test_a_chat_proving_an_address_we_hold_joins_the_open_case_about_the_same_problem(
    client, castle, mailoutbox
):
    # given a chat claiming the ops mailbox, held apart until proven
    held = _chat(
        client, name="Ops", email="ops@castle-pm.example", body="FTTP-CASTLE-01 still down, any news?"
    )
    assert held.unproven_claim and held.customer_id == castle["account"].pk
    # when the emailed link's button is pressed
    link = re.search(r"http://\S+/chat/confirm/\S+/", mailoutbox[-1].body).group(0)
    assert client.post(link.replace("http://127.0.0.1:8000", "")).status_code == 200
    # then the chat joins the open case about the line, and the visitor's widget follows it
    held.refresh_from_db()
    assert held.merged_into_id == castle["case"].pk
    assert castle["case"].messages.filter(channel="chat").count() == 1
    assert held.chat_sessions.count() == 0 and castle["case"].chat_sessions.count() == 1


def test_a_known_sender_s_line_without_a_subject_goes_on_in_their_only_case_of_the_day(sam, tom, client):
    # given Sam's blog case, opened by mail this morning
    token = issue_api_token(tom, name="control panel")[1]
    first = deliver(mail()).case

    def api(payload):
        return client.post(
            "/api/v1/messages", payload, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        ).json()

    # when his line through the control panel's API has no subject of its own, it goes on in that case
    # (a guess, shown as such, that an agent can split off)
    followed = api({"email": "sam@walkerblog.example", "body": "Any update?"})
    assert followed["case"] == first.ref and "their only open case" in followed["reason"]
    # but a message with a subject of its own about something else is a new case
    other = api(
        {"email": "sam@walkerblog.example", "subject": "DNS for a new domain", "body": "How do I add one?"}
    )
    assert other["case"] != first.ref
