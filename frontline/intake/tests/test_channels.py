"""Every other channel into the same pipeline: the API, the web form, chat, phone notes, callbacks."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontline.agents.services import issue_api_token
from frontline.cases import services as cases
from frontline.cases.models import CallbackDue, Case, Channel, DemandType
from frontline.cases.tasks import check_callbacks
from frontline.core import clock
from frontline.customers.models import ContactState
from frontline.events.models import Event, EventKind
from frontline.intake import public, services
from frontline.intake.display import split_reply
from frontline.intake.models import RawMessage, RawStatus
from frontline.intake.tests.helpers import deliver, mail, run_jobs
from frontline.tests.helpers import queued_task_paths
from frontline.todos.models import ToDoStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, tom):
    token = issue_api_token(tom, name="monitoring")[1]

    def post(payload, key="", raw=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if key:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        body = raw if raw is not None else json.dumps(payload)
        return client.post("/api/v1/messages", body, content_type="application/json", **headers)

    return post


def test_the_api_takes_a_message_once_per_idempotency_key(api, sam):
    payload = {"customer_id": sam.pk, "subject": "Disk 95% on web-07", "body": "Alert from our monitoring"}

    first = api(payload, key="alert-7781")
    again = api(payload, key="alert-7781")

    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["case"] == again.json()["case"]
    assert RawMessage.objects.count() == 1
    assert Case.objects.get().messages.count() == 1


def test_a_new_case_through_the_api_is_written_once_with_its_triage_and_its_events_in_one_statement(api, sam):
    # when a customer's first message arrives through the API (no router trained: it goes to triage)
    with CaptureQueriesContext(connection) as statements:
        response = api(
            {"customer_id": sam.pk, "subject": "Site down", "body": "walkerblog.example shows 503"}
        )
    assert response.status_code == 201
    written = [q["sql"] for q in statements.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    # then the case row is written once, already triaged (no UPDATE of it), and its events by one INSERT
    assert sum('INTO "cases_case"' in sql for sql in written) == 1
    assert not any(sql.startswith('UPDATE "cases_case"') for sql in written)
    assert sum('INTO "events_event"' in sql for sql in written) == 1
    case = Case.objects.get()
    assert case.routing_explanation and case.priority_explanation
    kinds = set(Event.objects.filter(case=case).values_list("kind", flat=True))
    assert {EventKind.CASE_OPENED, EventKind.MESSAGE_RECEIVED, EventKind.CASE_ROUTED} <= kinds
    # and no savepoint was taken to store the raw message
    assert not any(q["sql"].startswith("SAVEPOINT") for q in statements.captured_queries[:3])


@pytest.mark.django_db(transaction=True)  # jobs handed to RQ at the commit
def test_a_customer_writing_through_the_api_is_acknowledged_but_a_monitoring_alert_is_not(
    api, sam, mailoutbox
):
    api({"customer_id": sam.pk, "subject": "Question", "body": "Can I add a second site?"}, key="q1")
    api({"customer_id": sam.pk, "channel": "monitoring", "subject": "Disk", "body": "disk 97%"}, key="m1")

    run_jobs()

    assert len(mailoutbox) == 1 and "second site" not in mailoutbox[0].body
    assert mailoutbox[0].subject.endswith("Question")


def test_the_same_key_with_a_different_message_is_a_conflict(api, sam):
    api({"customer_id": sam.pk, "body": "one"}, key="k1")

    response = api({"customer_id": sam.pk, "body": "two"}, key="k1")

    assert response.status_code == 409
    assert "different message" in response.json()["detail"]


@pytest.mark.parametrize(
    "raw,words",
    [
        ("{not json", "Expecting"),
        ('["a list"]', "JSON object"),
        ('{"customer_id": 1}', "no body"),
        ('{"customer_id": 999999, "body": "x"}', "no customer 999999"),
        ('{"body": "x"}', "say who it is from"),
        ('{"email": "not an address", "body": "x"}', "not an email address"),
        ('{"customer_id": {"$gt": 1}, "body": "x"}', ""),
    ],
)
def test_bad_api_input_is_kept_raw_and_answered_with_a_4xx_and_a_reason(api, sam, raw, words):
    response = api(None, raw=raw)

    assert response.status_code == 400
    assert words in response.json()["detail"]
    stored = RawMessage.objects.get(pk=response.json()["stored_as"])
    assert bytes(stored.raw) == raw.encode() and stored.status == RawStatus.QUARANTINED


def test_a_message_whose_reading_fails_halfway_is_kept_quarantined_and_nothing_half_written_stays(
    api, sam, monkeypatch
):
    # given a bug of ours that strikes after the case and its message are written
    def broken(*args, **kwargs):
        raise RuntimeError("a bug after the case was written")

    monkeypatch.setattr(services, "acknowledge_if_due", broken)
    raw = json.dumps({"customer_id": sam.pk, "subject": "Site down", "body": "walkerblog.example is down"})

    response = api(None, raw=raw, key="half-1")

    # then the caller is told, the bytes are kept with the reason, and no part of the reading remains
    assert response.status_code == 400 and "a bug after the case was written" in response.json()["detail"]
    stored = RawMessage.objects.get()
    assert stored.pk == response.json()["stored_as"] and bytes(stored.raw) == raw.encode()
    assert (
        stored.status == RawStatus.QUARANTINED and stored.attempts == 1 and stored.idempotency_key == "half-1"
    )
    assert not Case.objects.exists()
    assert not Event.objects.filter(kind=EventKind.CASE_OPENED).exists()
    assert Event.objects.filter(kind=EventKind.INTAKE_QUARANTINED).count() == 1
    # and the same key again answers what was kept, without reading it again
    again = api(None, raw=raw, key="half-1")
    assert again.status_code == 400 and again.json()["stored_as"] == stored.pk


def test_a_nul_character_is_stored_raw_and_cleaned_not_refused(api, sam):
    raw = '{"customer_id": ' + str(sam.pk) + ', "body": "disk\\u0000 full"}'

    response = api(None, raw=raw)

    assert response.status_code == 201
    assert Case.objects.get().messages.get().body_text == "disk full"
    assert bytes(RawMessage.objects.get().raw) == raw.encode()


def test_the_api_needs_a_token(client):
    assert client.post("/api/v1/messages", "{}", content_type="application/json").status_code == 401


def confirmation_link(mailoutbox) -> str:
    return re.search(r"http://\S+/contact/confirm/\S+/", mailoutbox[-1].body).group(0)


def test_a_strangers_web_form_opens_a_case_only_after_the_address_is_confirmed(client, mailoutbox, db):
    form = {
        "name": "Jo New",
        "email": "jo@new.example",
        "subject": "Site down",
        "body": "Our shop is offline",
    }

    page = client.post(reverse("intake:contact"), form)

    assert "check your inbox" in page.content.decode().lower()
    assert Case.objects.count() == 0
    assert RawMessage.objects.get().status == RawStatus.UNCONFIRMED
    link = confirmation_link(mailoutbox).replace("http://127.0.0.1:8000", "")

    client.get(link)  # a mail scanner following the link
    assert Case.objects.count() == 0

    confirmed = client.post(link)

    case = Case.objects.get()
    assert f"C-{case.pk}" in confirmed.content.decode()
    assert case.messages.get().channel == Channel.WEB
    assert case.customer.people.get().contacts.get().state == ContactState.VERIFIED
    client.post(link)  # pressed twice
    assert Case.objects.count() == 1


def test_a_known_customers_address_on_the_web_form_is_confirmed_first_and_answered_like_any_other(
    client, mailoutbox, sam
):
    # given someone typing Sam's verified address into the public form, with a subject of their choosing
    form = {"name": "Sam", "email": "sam@walkerblog.example", "subject": "You won!", "body": "503 again"}
    known = client.post(reverse("intake:contact"), form)
    stranger = client.post(reverse("intake:contact"), form | {"email": "nobody@nowhere.example"})
    # then nothing reaches Sam's cases, and the page cannot tell known from unknown
    assert Case.objects.count() == 0
    assert known.status_code == stranger.status_code == 200
    assert known.content.decode().replace("sam@walkerblog.example", "") == stranger.content.decode().replace(
        "nobody@nowhere.example", ""
    )
    # Sam gets our fixed words with a link, never the sender's subject
    to_sam = next(m for m in mailoutbox if m.to == ["sam@walkerblog.example"])
    assert "You won" not in to_sam.subject + to_sam.body
    # when Sam presses the button, the message is his
    link = (
        re.search(r"http://\S+/contact/confirm/\S+/", to_sam.body)
        .group(0)
        .replace("http://127.0.0.1:8000", "")
    )
    client.post(link)
    assert Case.objects.get().customer == sam


def test_the_web_form_is_rate_limited_per_address_through_the_shared_cache(client, settings, db):
    settings.FRONTLINE_PUBLIC_RATE = 2
    form = {"email": "jo@new.example", "body": "hello"}

    codes = [client.post(reverse("intake:contact"), form).status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    assert RawMessage.objects.count() == 2


def test_a_bad_confirmation_link_is_refused_clearly(client, db):
    response = client.get("/contact/confirm/forged-token/")

    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_chat_opens_a_case_and_the_visitor_sees_only_this_conversation(client, sam, tom):
    other = deliver(mail(body="a private matter")).case
    start = client.post(
        reverse("intake:chat_start"),
        {"name": "Sam", "email": "sam@walkerblog.example", "body": "Is web-07 down?"},
        content_type="application/json",
    ).json()
    case = Case.objects.get(pk=int(start["case"][2:]))

    cases.reply_to_case(case, by=tom, body="Yes, we are restarting it now.")
    client.post(f"/chat/{start['token']}/messages", {"body": "Thanks!"}, content_type="application/json")
    lines = client.get(f"/chat/{start['token']}/messages").json()["messages"]

    assert [(line["from"], line["body"]) for line in lines] == [
        ("you", "Is web-07 down?"),
        ("Tom Becker", "Yes, we are restarting it now."),
        ("you", "Thanks!"),
    ]
    assert "a private matter" not in json.dumps(lines)
    assert other.pk != case.pk


def test_an_unknown_chat_token_is_a_404(client, db):
    assert client.get("/chat/nope/messages").status_code == 404


def test_a_phone_note_goes_through_intake_onto_the_case(sam, tom):
    case = deliver(mail()).case

    row = public.log_phone_call(
        by=tom,
        customer=sam,
        caller="+44 7700 900456",
        summary="Called: still 503",
        duration_seconds=240,
        case=case,
    )

    message = row.message
    assert row.case == case and message.channel == Channel.PHONE
    assert message.duration_seconds == 240 and message.sender == "+44 7700 900456"
    assert Event.objects.filter(case=case, kind=EventKind.MESSAGE_RECEIVED, actor=tom).exists()


@pytest.mark.django_db(transaction=True)  # jobs handed to RQ at the commit
def test_a_missed_callback_promise_falls_due_through_the_scheduler_and_raises_the_case(sam, tom):
    case = deliver(mail()).case
    start = clock.now()
    due = start + datetime.timedelta(hours=1)
    todo = cases.promise_callback(case, by=tom, due_at=due, number="+44 7700 900456")
    before = Case.objects.get(pk=case.pk).priority
    # the promise's timer is a row in the database, not a job the task queue keeps for an hour
    assert CallbackDue.objects.filter(case=case, due_at=due).exists()
    assert "frontline.cases.tasks.check_callback" not in queued_task_paths()

    check_callbacks.enqueue()  # as the recurring job runs every few seconds: the promise's time is not come
    run_jobs()
    assert not Event.objects.filter(case=case, kind=EventKind.CALLBACK_MISSED).exists()
    with clock.frozen_at(due + datetime.timedelta(minutes=1)):
        check_callbacks.enqueue()
        ran = run_jobs()
        check_callbacks.enqueue()  # and again: a promise is judged once
        run_jobs()
        case.refresh_from_db()
        cases.refresh_priority(case)

    assert ran >= 1 and not CallbackDue.objects.exists()
    assert Event.objects.filter(case=case, kind=EventKind.CALLBACK_MISSED).count() == 1
    assert case.demand_type == DemandType.FAILURE and case.failure_reason == "missed callback promise"
    assert Event.objects.filter(case=case, kind=EventKind.CALLBACK_MISSED).exists()
    assert any(term["term"] == "missed_callback" for term in case.priority_explanation)
    assert case.priority > before
    todo.refresh_from_db()
    assert todo.status == ToDoStatus.OPEN  # still to do: the customer still waits for the call


@pytest.mark.django_db(transaction=True)  # jobs handed to RQ at the commit
def test_a_callback_made_in_time_keeps_the_promise(sam, tom):
    case = deliver(mail()).case
    due = clock.now() + datetime.timedelta(hours=1)
    todo = cases.promise_callback(case, by=tom, due_at=due)

    cases.log_outbound_call(
        case, by=tom, number="+44 7700 900456", summary="Explained the fix", duration_seconds=300
    )
    assert not CallbackDue.objects.exists()  # nothing left to judge
    with clock.frozen_at(due + datetime.timedelta(minutes=1)):
        check_callbacks.enqueue()
        run_jobs()

    case.refresh_from_db()
    assert case.demand_type == DemandType.VALUE and case.callback_due_at is None
    assert Event.objects.filter(case=case, kind=EventKind.CALLBACK_KEPT).exists()
    assert not Event.objects.filter(case=case, kind=EventKind.CALLBACK_MISSED).exists()
    todo.refresh_from_db()
    assert todo.status == ToDoStatus.DONE


def test_reply_stripping_folds_quotes_and_signature_without_losing_them():
    text = (
        "Thanks, that fixed it.\n\n-- \nSam Walker\nwalkerblog.example\n\n"
        "On Mon, 2 Nov 2026 at 10:00, Support <support@x> wrote:\n> We restarted the server.\n"
    )

    _, shown, folded = split_reply(text)

    assert shown == "Thanks, that fixed it."
    assert "We restarted the server." in folded and "Sam Walker" in folded


def test_the_case_page_shows_a_guess_with_its_confidence_and_a_split_button(signed_in, sam, blog):
    first = deliver(mail(body="walkerblog.example is down")).case
    first.affected_units.add(blog)
    joined = deliver(mail(subject="again", message_id="<m2@x>", body="walkerblog.example still down"))

    html = signed_in.get(reverse("cases:detail", args=[first.ref])).content.decode()

    assert "Joined this case by a guess (confidence" in html
    assert reverse("cases:split", args=[first.ref, joined.message.pk]) in html


def test_the_quarantine_page_lists_unread_mail_and_processes_it_again(signed_in, sam):
    row = deliver(mail(sender=""))

    html = signed_in.get(reverse("intake:quarantine")).content.decode()
    assert "no sender address" in html

    response = signed_in.post(reverse("intake:reprocess", args=[row.pk]), follow=True)
    assert "Still cannot read" in response.content.decode()


def test_an_inline_image_shows_in_the_formatted_mail_and_is_served_as_an_image_only(signed_in, sam):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = (
        "sam@walkerblog.example",
        "support@frontline.invalid",
        "Error page",
    )
    msg["Message-ID"] = "<img1@x>"
    msg.set_content("See the screenshot.")
    msg.add_alternative('<p>See:</p><img src="cid:shot1@walker">', subtype="html")
    msg.get_payload()[1].add_related(
        b"\x89PNG\r\n\x1a\nfake", maintype="image", subtype="png", cid="<shot1@walker>"
    )
    row = deliver(msg.as_bytes())
    image = row.message.attachments.get()

    html = signed_in.get(reverse("cases:detail", args=[row.case.ref])).content.decode()
    url = reverse("cases:attachment", args=[row.case.ref, image.pk]) + "?inline=1"
    assert f'src="{url}"' in html

    served = signed_in.get(url)
    assert served["Content-Type"] == "image/png" and "attachment" not in served["Content-Disposition"]
    assert "sandbox" in served["Content-Security-Policy"] and served["X-Content-Type-Options"] == "nosniff"
    download = signed_in.get(reverse("cases:attachment", args=[row.case.ref, image.pk]))
    assert (
        download["Content-Type"] == "application/octet-stream"
        and "attachment" in download["Content-Disposition"]
    )


def test_the_shown_part_is_the_customers_own_text_verbatim_and_nothing_shows_twice():
    # given a reply whose first lines carry indentation the reply parser tidies away (a telnet session)
    text = (
        "It still fails:\n\n    $ telnet mx.walkerblog.example 25\n    550   relay  denied\n\n"
        "On Mon, 2 Nov 2026 at 10:00, Support <support@x> wrote:\n> Please try again.\n"
    )
    # when it is split for the page
    above, shown, folded = split_reply(text)
    # then the shown part is a slice of the text as written, and the fold holds only the rest
    assert above == "" and text.startswith(shown) and "    $ telnet mx.walkerblog.example 25" in shown
    assert "550   relay  denied" in shown and "It still fails" not in folded
    assert folded.startswith("On Mon, 2 Nov 2026") and "Please try again." in folded


def test_the_fold_is_worked_out_once_when_the_mail_is_read(signed_in, sam):
    # given a reply with a long quoted history
    body = "Thanks, it works again.\n\nOn Mon, 2 Nov 2026 at 10:00, Support <support@x> wrote:\n"
    body += "> an old line of our earlier answer\n" * 300
    message = deliver(mail(body=body)).message
    # then intake stored where the newest reply ends, and the page folds there
    assert message.fold_at is not None and body[: message.fold_at].strip() == "Thanks, it works again."
    html = signed_in.get(reverse("cases:detail", args=[message.case.ref])).content.decode()
    assert "Thanks, it works again." in html and html.count("an old line of our earlier answer") == 300


def test_a_bottom_posted_answer_shows_first_with_what_it_answers_folded_above(signed_in, sam):
    # given a reply written below the quote it answers, as Thunderbird writes one
    body = "On Mon, 2 Nov 2026 at 10:00, Support <support@x> wrote:\n> Does the blog load now?\n\n"
    body += "Yes, it loads again."
    message = deliver(mail(body=body)).message
    # then intake stored where the answer starts, and the page shows the answer with the quote folded above
    assert body[message.fold_before : message.fold_at].strip() == "Yes, it loads again."
    html = signed_in.get(reverse("cases:detail", args=[message.case.ref])).content.decode()
    answer, quote = html.index("Yes, it loads again."), html.index("Does the blog load now?")
    assert "What this answers" in html and quote < answer
    assert html.count("Does the blog load now?") == 1 and html.count("Yes, it loads again.") == 1


def test_only_a_customers_mail_is_folded_never_our_own_words(signed_in, sam, tom, smtp_server):
    from frontline.cases import services as case_services

    # given a case the rules opened, whose words end in lines that would fold in a customer's mail
    words = "Relay burst (40 clients). What the rules decided:\n-suspend relay-2: scheduled.\n\n-- \nrules"
    case = case_services.open_case(
        customer=sam, subject="Relay burst", body=words, channel="api", sender="policy", via="policy"
    )
    # and our reply that quotes the customer
    case_services.reply_to_case(case, by=tom, body="Done.\n\nOn Mon, Sam wrote:\n> please suspend it")
    # when the case page shows them
    html = signed_in.get(reverse("cases:detail", args=[case.ref])).content.decode()
    # then nothing of ours is folded away
    assert "Quoted text and signature" not in html and "What this answers" not in html
    assert "-suspend relay-2: scheduled." in html and "&gt; please suspend it" in html
