import datetime
from email import message_from_bytes

import pytest

from frontline.cases import services
from frontline.cases.inbox import InboxFilter, filtered_cases
from frontline.cases.models import Case, CaseStatus, Direction, Message
from frontline.core import clock
from frontline.core.errors import NotAllowed, ServiceError
from frontline.customers.services import create_customer
from frontline.events.models import AppendOnlyError, Event, EventKind

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def blog_down(sam, sam_person, blog, web_hosting):
    """Sam writes at noon that his blog has been down since 10:00."""
    with clock.frozen_at(NOON):
        return services.open_case(
            customer=sam,
            requester=sam_person,
            sender="sam@walkerblog.example",
            channel="email",
            impact="down",
            subject="Blog down",
            body="walkerblog.example answers 503 since this morning.",
            units=[blog],
            topic=web_hosting,
            problem_started_at=NOON - datetime.timedelta(hours=2),
        )


def kinds(case):
    return list(Event.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))


def test_opening_a_case_stores_the_message_and_its_events(blog_down, blog):
    # then one case, one inbound message, two events, on the customer's clock
    assert blog_down.status == CaseStatus.NEW and blog_down.is_open
    assert blog_down.problem_started_at == NOON - datetime.timedelta(hours=2)
    assert list(blog_down.affected_units.all()) == [blog]
    message = blog_down.messages.get()
    assert message.direction == Direction.INBOUND and message.sender == "sam@walkerblog.example"
    assert kinds(blog_down) == [EventKind.CASE_OPENED, EventKind.MESSAGE_RECEIVED]


def test_priority_is_a_number_with_its_reasons_and_rises_with_the_customers_clock(blog_down):
    # given the case as opened two hours into the problem
    terms = {term["term"]: term for term in blog_down.priority_explanation}
    assert terms["impact"]["points"] == 100 and terms["elapsed"]["points"] == 8
    assert terms["tenure"]["reason"] == "customer for 17 years" and terms["tenure"]["points"] == 15
    assert blog_down.priority == sum(term["points"] for term in terms.values()) == 123
    # when five days pass with the blog still down and nobody answering
    with clock.frozen_at(NOON + datetime.timedelta(days=5)):
        services.refresh_open_priorities()
    blog_down.refresh_from_db()
    # then time has added the most it can for a site that is down, and our silence shows
    terms = {term["term"]: term for term in blog_down.priority_explanation}
    assert terms["elapsed"]["points"] == 300 and "5.1 days" in terms["elapsed"]["reason"]
    assert terms["silence"]["points"] == 20 and "waiting 5.0 days" in terms["silence"]["reason"]
    assert blog_down.priority == 100 + 300 + 20 + 15


def test_a_down_site_outranks_any_question_however_old(sam, blog_down):
    with clock.frozen_at(NOON - datetime.timedelta(days=60)):
        old_question = services.open_case(customer=sam, subject="Invoice", body="A question", channel="email")
    with clock.frozen_at(NOON):
        services.refresh_open_priorities()
    old_question.refresh_from_db()
    blog_down.refresh_from_db()
    assert blog_down.priority > old_question.priority


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("subject", {"subject": "  "}),
        ("body", {"body": ""}),
        ("impact", {"impact": "medium"}),
        ("channel", {"channel": "fax"}),
    ],
)
def test_a_bad_case_is_refused_and_nothing_is_half_written(sam, field, changes):
    data = {"customer": sam, "subject": "Help", "body": "Text", "channel": "email", **changes}
    before = Event.objects.count()
    with pytest.raises(ServiceError) as refused:
        services.open_case(**data)
    assert refused.value.field == field
    assert not Case.objects.exists() and Event.objects.count() == before


def test_a_requester_must_act_for_the_customer(sam, sam_person):
    castle = create_customer(name="Castle Property Management")
    with pytest.raises(ServiceError):
        services.open_case(customer=castle, requester=sam_person, subject="x", body="y", channel="email")


def test_a_reply_goes_through_real_smtp_and_is_recorded(blog_down, tom, smtp_server):
    # when Tom replies
    message = services.reply_to_case(blog_down, by=tom, body="Looking at web-07 now.")
    # then the server received it with our Message-ID and the case reference, and the case shows it sent
    assert message.sent_at is not None and message.send_error == ""
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["Sam@WalkerBlog.example"]
    sent = message_from_bytes(envelope.content)
    assert sent["Message-ID"] == message.message_id
    assert sent["Subject"] == f"[{blog_down.ref}] Blog down"
    assert bytes(message.raw_source).startswith(b"Content-Type") or b"Message-ID" in bytes(message.raw_source)
    blog_down.refresh_from_db()
    assert blog_down.status == CaseStatus.OPEN and blog_down.first_response_at is not None
    assert kinds(blog_down)[-2:] == [EventKind.STATUS_CHANGED, EventKind.REPLY_SENT]


def test_a_reply_the_server_refuses_is_kept_and_shown_as_failed(blog_down, tom, smtp_down):
    # when the mail server cannot be reached
    message = services.reply_to_case(blog_down, by=tom, body="Looking at it.")
    # then the reply is still on the case, marked not delivered, with the reason in the history
    assert message.sent_at is None and "ConnectionRefused" in message.send_error
    assert Message.objects.filter(pk=message.pk, body_text="Looking at it.").exists()
    failed = Event.objects.get(case=blog_down, kind=EventKind.REPLY_FAILED)
    assert "ConnectionRefused" in failed.data["error"]


def test_a_reply_to_a_customer_without_a_working_address_is_recorded_as_failed(tom):
    castle = create_customer(name="Castle Property Management")
    case = services.open_case(customer=castle, subject="Line down", body="No link", channel="phone")
    message = services.reply_to_case(case, by=tom, body="We are on it")
    assert message.send_error == "no working email address for this customer"


def test_a_reply_without_a_requester_goes_to_the_accounts_verified_address_first(tom, smtp_server):
    from frontline.customers import services as customers

    # given an account with an unverified ops mailbox of its own and a person with a verified address
    castle = create_customer(name="Castle Property Management")
    customers.add_contact_point(customer=castle, kind="email", value="ops@castle-pm.example")
    helen = customers.add_person(castle, name="Helen Castle")
    customers.verify_contact_point(
        customers.add_contact_point(person=helen, kind="email", value="h@castle-pm.example")
    )
    case = services.open_case(customer=castle, subject="Line down", body="No link", channel="phone")
    # when an agent replies on a case nobody in particular opened
    services.reply_to_case(case, by=tom, body="We are on it")
    # then the verified address gets it
    assert smtp_server.envelopes[-1].rcpt_tos == ["h@castle-pm.example"]


def test_an_agent_takes_a_case_but_only_a_lead_gives_it_to_someone_else(blog_down, tom, priya):
    services.assign_case(blog_down, assignee=tom, by=tom)
    with pytest.raises(NotAllowed):
        services.assign_case(blog_down, assignee=priya, by=tom)
    services.assign_case(blog_down, assignee=priya, by=priya)
    blog_down.refresh_from_db()
    assert blog_down.assignee == priya
    assigned = Event.objects.filter(case=blog_down, kind=EventKind.CASE_ASSIGNED).order_by("pk")
    assert [e.data["assignee"] for e in assigned] == ["Tom Becker", "Priya Raman"]


def test_an_agent_cannot_take_a_case_from_its_owner(blog_down, tom, priya):
    services.assign_case(blog_down, assignee=priya, by=priya)
    with pytest.raises(NotAllowed):
        services.assign_case(blog_down, assignee=None, by=tom)


def test_resolving_needs_notes_because_the_next_agent_learns_from_them(blog_down, tom):
    with pytest.raises(ServiceError) as refused:
        services.change_status(blog_down, status="resolved", by=tom)
    assert refused.value.field == "resolution_notes"
    case = services.change_status(blog_down, status="resolved", by=tom, resolution_notes="Restarted PHP-FPM")
    assert not case.is_open and case.resolved_at is not None
    assert case.resolution_notes == "Restarted PHP-FPM"


def test_a_customer_writing_again_reopens_a_closed_case(blog_down, tom, sam_person):
    services.change_status(blog_down, status="closed", by=tom, resolution_notes="Fixed")
    services.record_inbound_message(blog_down, channel="chat", body="Still broken!", requester=sam_person)
    case = Case.objects.get(pk=blog_down.pk)
    assert case.is_open and case.status == CaseStatus.OPEN and case.reopen_count == 1
    assert kinds(case)[-3:] == [EventKind.MESSAGE_RECEIVED, EventKind.STATUS_CHANGED, EventKind.CASE_REOPENED]


def test_a_customer_answer_moves_a_waiting_case_back_to_open(blog_down, tom, sam_person):
    services.change_status(blog_down, status="waiting_customer", by=tom)
    services.record_inbound_message(blog_down, channel="email", body="Here is the log", requester=sam_person)
    assert Case.objects.get(pk=blog_down.pk).status == CaseStatus.OPEN


def test_someone_without_a_role_changes_nothing(blog_down):
    with pytest.raises(NotAllowed):
        services.add_internal_note(blog_down, by=None, body="hi")


def test_events_are_append_only(blog_down):
    event = Event.objects.filter(case=blog_down).first()
    event.data = {"tampered": True}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


@pytest.mark.parametrize("query", ['"503', "walkerblog*", "(503", "503)", "-503", "503:", "^503 {}"])
def test_search_finds_cases_by_their_words_and_never_chokes_on_syntax(blog_down, query):
    found = list(filtered_cases(InboxFilter(query=query)))
    assert found == [blog_down]


def test_search_needs_every_word(blog_down):
    assert list(filtered_cases(InboxFilter(query="503 morning"))) == [blog_down]
    assert list(filtered_cases(InboxFilter(query="503 invoice"))) == []


def test_search_finds_a_case_whose_words_are_in_different_messages(blog_down, sam_person):
    # given the case's first message says 503 and a later one names the plugin
    services.record_inbound_message(
        blog_down, channel="chat", body="It broke after the Jetpack update", requester=sam_person
    )
    # when an agent searches for both
    found = list(filtered_cases(InboxFilter(query="503 jetpack")))
    # then the case is found, on either database
    assert found == [blog_down]


def test_our_mail_never_names_itself_in_its_threading_headers(tom, smtp_server):
    from frontline.customers import services as customers

    # given a case that came by chat: no mail in its thread yet
    castle = create_customer(name="Castle Property Management")
    customers.add_contact_point(customer=castle, kind="email", value="ops@castle-pm.example")
    case = services.open_case(customer=castle, subject="Line down", body="No link", channel="chat")
    # when we answer it by mail, twice
    first = services.reply_to_case(case, by=tom, body="Checking the line.")
    second = services.reply_to_case(case, by=tom, body="The line is back.")
    # then the first starts the thread, and the second refers to the first, never to itself
    opening, follow_up = (message_from_bytes(envelope.content) for envelope in smtp_server.envelopes)
    assert opening["Message-ID"] == first.message_id
    assert opening["In-Reply-To"] is None and opening["References"] is None
    assert follow_up["Message-ID"] == second.message_id
    assert follow_up["In-Reply-To"] == first.message_id and follow_up["References"] == first.message_id


def test_a_reply_refers_to_the_customers_last_mail_and_the_thread_without_itself(blog_down, tom, smtp_server):
    # given Sam's mail on the case, and our first answer
    Message.objects.filter(case=blog_down).update(message_id="<sam-1@walkerblog.example>")
    first = services.reply_to_case(blog_down, by=tom, body="Looking at web-07 now.")
    # when we answer again
    second = services.reply_to_case(blog_down, by=tom, body="web-07 is back.")
    # then the answer is in reply to Sam's mail and lists the thread in order, not itself
    sent = message_from_bytes(smtp_server.envelopes[-1].content)
    assert sent["In-Reply-To"] == "<sam-1@walkerblog.example>"
    assert sent["References"].split() == ["<sam-1@walkerblog.example>", first.message_id]
    assert second.message_id not in sent["References"]
