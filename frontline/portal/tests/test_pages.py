"""What a customer sees and does in the portal: their problems and conversation, confirming a fix, what is
held on their services and what lifts it, incidents and maintenance with their own feeds, their contact points
and each one's delivery history, and notices to acknowledge."""

import re
from datetime import timedelta

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontline.cases import confirmation
from frontline.cases import services as cases
from frontline.cases.models import Case
from frontline.core import clock
from frontline.customers.models import ContactPoint
from frontline.delivery.models import DeliveryAttempt
from frontline.events.models import Event
from frontline.incidents import maintenance, running
from frontline.intake.models import RawMessage
from frontline.notifications import services as notifications
from frontline.notifications import verification
from frontline.policy.rescans import RESCAN
from frontline.portal import feeds, links
from frontline.tests.helpers import run_queued_jobs
from frontline.todos.models import ToDo

pytestmark = pytest.mark.django_db


@pytest.fixture
def blog_down(sam, sam_person, blog, tom):
    case = cases.open_case(
        customer=sam,
        requester=sam_person,
        subject="Blog down",
        body="503 since ten",
        channel="email",
        units=[blog],
    )
    cases.add_internal_note(case, by=tom, body="Our internal guess: the PHP pool is full")
    cases.reply_to_case(case, by=tom, body="We are restarting the pool on web-07.")
    return case


def test_my_problems_say_where_each_stands_in_plain_words(sam_portal, blog_down, tom):
    # given one open case and one fixed case waiting for Sam's confirmation
    fixed = cases.open_case(
        customer=blog_down.customer, subject="Mailbox full", body="cannot receive", channel="email"
    )
    cases.change_status(fixed, status="resolved", by=tom, resolution_notes="Raised the quota")
    # when Sam opens the portal
    page = sam_portal.get("/portal/").content.decode()
    # then each says where it stands in his words, not ours
    assert "we are working on it" in page and "fixed: please confirm" in page
    assert "Waiting on provider" not in page


def _on(case) -> str:
    return f"http://testserver/portal/cases/{case.ref}/"


def test_the_conversation_shows_every_message_but_our_internal_notes(sam_portal, blog_down):
    page = sam_portal.get(f"/portal/cases/{blog_down.ref}/").content.decode()
    assert "503 since ten" in page and "We are restarting the pool on web-07." in page
    assert "PHP pool is full" not in page


def test_a_reply_with_a_file_is_stored_raw_then_put_on_the_case(sam_portal, blog_down, settings):
    # when Sam answers with a screenshot
    screenshot = SimpleUploadedFile("error.png", b"\x89PNG fake bytes", content_type="image/png")
    answer = sam_portal.post(
        f"/portal/cases/{blog_down.ref}/reply", {"body": "Still 503 here", "files": [screenshot]}
    )
    assert answer.status_code == 302
    # then the raw submission was kept, and the message and its file are on the case
    raw = RawMessage.objects.get(source="portal")
    assert raw.status == "processed" and b"Still 503 here" in bytes(raw.raw)
    message = blog_down.messages.get(body_text="Still 503 here")
    assert message.direction == "in" and message.author_person.name == "Sam Walker"
    stored = message.attachments.get()
    assert stored.filename == "error.png" and (
        settings.ATTACHMENTS_DIR / stored.path
    ).read_bytes().startswith(b"\x89PNG")
    # and Sam can download it from his case, as a download
    download = sam_portal.get(f"/portal/cases/{blog_down.ref}/files/{stored.pk}")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_an_empty_reply_is_refused_with_a_reason_and_nothing_recorded(sam_portal, blog_down):
    answer = sam_portal.post(
        f"/portal/cases/{blog_down.ref}/reply", {"body": "  "}, follow=True, HTTP_REFERER=_on(blog_down)
    )
    assert "write what you want to tell us" in answer.content.decode()
    assert not RawMessage.objects.filter(source="portal").exists()


def test_confirming_yes_closes_and_no_reopens_as_failure_demand(sam_portal, blog_down, tom):
    cases.change_status(blog_down, status="resolved", by=tom, resolution_notes="Pool restarted")
    page = sam_portal.get(f"/portal/cases/{blog_down.ref}/").content.decode()
    assert "Does it work for you now?" in page
    # when Sam says no, with what still fails
    sam_portal.post(f"/portal/cases/{blog_down.ref}/confirm", {"answer": "no", "words": "images 404"})
    case = Case.objects.get(pk=blog_down.pk)
    assert case.is_open and case.demand_type == "failure"
    assert case.messages.filter(body_text__contains="images 404").exists()
    # and after the next fix, yes closes it
    cases.change_status(case, status="resolved", by=tom, resolution_notes="Images restored")
    sam_portal.post(f"/portal/cases/{blog_down.ref}/confirm", {"answer": "yes"})
    assert Case.objects.get(pk=blog_down.pk).status == "closed"
    assert "You confirmed it works." in sam_portal.get(f"/portal/cases/{blog_down.ref}/").content.decode()


def test_a_fix_nobody_confirms_in_a_week_closes_as_unconfirmed(blog_down, tom, sam_portal):
    # given the fix was eight days ago and Sam never answered
    cases.change_status(blog_down, status="resolved", by=tom, resolution_notes="Pool restarted")
    Case.objects.filter(pk=blog_down.pk).update(resolved_at=clock.now() - timedelta(days=8))
    # when the hourly job runs
    assert confirmation.close_unconfirmed() == 1
    # then it is closed, marked unconfirmed for the measures, and the page says so
    assert Case.objects.get(pk=blog_down.pk).status == "closed"
    assert Event.objects.filter(case=blog_down, kind="case.fix_unconfirmed").count() == 1
    assert "without your answer" in sam_portal.get(f"/portal/cases/{blog_down.ref}/").content.decode()
    assert confirmation.close_unconfirmed() == 0


def test_a_fix_confirmed_within_the_week_stays_as_answered(blog_down, tom):
    cases.change_status(blog_down, status="resolved", by=tom, resolution_notes="Pool restarted")
    Case.objects.filter(pk=blog_down.pk).update(resolved_at=clock.now() - timedelta(days=6))
    assert confirmation.close_unconfirmed() == 0


def test_my_services_show_what_is_held_why_when_and_what_lifts_it(sam_portal, contained_site):
    page = sam_portal.get("/portal/services/").content.decode()
    assert "walkerblog.example" in page and "To be contained" in page
    assert "a malware scan" in page  # what we found
    assert contained_site.due_at.strftime("%Y-%m-%d %H:%M") in page  # when it takes effect
    assert "Scan it again" in page and "Ask a person" in page  # what lifts it


def test_asking_for_a_rescan_is_a_policy_event_and_a_to_do_once(sam_portal, sam_person, contained_site):
    for _ in range(2):
        sam_portal.post(f"/portal/holds/{contained_site.pk}/rescan", {"words": "removed the bad plugin"})
    todo = ToDo.objects.get(kind=RESCAN)
    assert "walkerblog.example" in todo.title and todo.detail == "removed the bad plugin"
    event = Event.objects.get(kind="policy.rescan_requested")
    assert event.actor_person == sam_person and event.unit_id == contained_site.unit_id


def test_asking_a_person_puts_the_question_on_the_cleanup_case(sam_portal, contained_site):
    sam_portal.post(f"/portal/holds/{contained_site.pk}/ask", {"words": "Which file is infected?"})
    assert contained_site.case.messages.filter(body_text="Which file is infected?", direction="in").exists()


def test_incidents_reaching_me_with_updates_and_my_own_feeds(client, sam_portal, sam, blog, priya):
    incident = running.open_incident(title="web-07 answers 503", units=[blog], by=priya, label="Priya")
    running.post_update(incident, state="identified", body="A full disk on web-07", by=priya)
    start = clock.now() + timedelta(days=2)
    work = maintenance.schedule(
        title="Kernel update",
        body="A reboot",
        impact="OUTAGE",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        units=[blog],
        by=priya,
    )
    page = sam_portal.get("/portal/incidents/").content.decode()
    assert "web-07 answers 503" in page and "A full disk on web-07" in page and "Kernel update" in page
    # the feed and calendar open by their signed URLs alone
    feed_url = re.search(r'href="(http://[^"]+\.atom)"', page).group(1).split("8000")[-1]
    calendar_url = re.search(r'href="(http://[^"]+\.ics)"', page).group(1).split("8000")[-1]
    feed = client.get(feed_url)
    assert feed.status_code == 200 and b"A full disk on web-07" in feed.content
    entries = icalendar.Calendar.from_ical(client.get(calendar_url).content).walk("VEVENT")
    assert [str(e["uid"]) for e in entries] == [work.uid]
    # and a made-up or tampered token opens nothing
    assert client.get(feed_url.replace(".atom", "x.atom")).status_code == 404


def test_my_contact_points_show_their_delivery_history(sam_portal, sam, sam_person):
    phone = sam_person.contacts.get(kind="phone")
    DeliveryAttempt.objects.create(
        customer=sam,
        contact_point=phone,
        channel="sms",
        address=phone.value,
        status="refused",
        reply_text="number unreachable",
        attempted_at=clock.now(),
    )
    page = sam_portal.get("/portal/contacts/").content.decode()
    assert "+44 7700 900456" in page and "number unreachable" in page and "refused" in page


def test_correcting_a_contact_keeps_the_old_one_for_the_record_and_asks_the_new_one(
    sam_portal, sam_person, mailoutbox, django_capture_on_commit_callbacks
):
    email = sam_person.contacts.get(kind="email")
    with django_capture_on_commit_callbacks(execute=True):
        sam_portal.post(f"/portal/contacts/{email.pk}/correct", {"value": "sam@walker.example"})
    email.refresh_from_db()
    new = ContactPoint.objects.get(normalized="sam@walker.example")
    assert email.state == "retired" and new.state == "unverified" and new.person == sam_person
    assert Event.objects.filter(kind="contact.retired", actor_person=sam_person).count() == 1
    run_queued_jobs()
    assert any("sam@walker.example" in m.to for m in mailoutbox)  # asked to confirm it


def test_a_retired_point_is_never_used_again(sam_portal, sam, sam_person):
    phone = sam_person.contacts.get(kind="phone")
    sam_portal.post(f"/portal/contacts/{phone.pk}/retire")
    phone.refresh_from_db()
    assert phone.state == "retired" and not phone.is_working
    assert ContactPoint.objects.filter(pk=phone.pk).exclude(state__in=["failing", "retired"]).count() == 0


def test_adding_a_contact_asks_it_to_confirm(
    sam_portal, sam_person, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sam_portal.post(
            "/portal/contacts/add", {"kind": "email", "value": "office@walkerblog.example", "label": "office"}
        )
    point = ContactPoint.objects.get(normalized="office@walkerblog.example")
    assert point.person == sam_person and point.state == "unverified"
    run_queued_jobs()
    assert any("office@walkerblog.example" in m.to for m in mailoutbox)


def test_a_bad_contact_value_is_refused_with_a_reason(sam_portal):
    answer = sam_portal.post(
        "/portal/contacts/add",
        {"kind": "email", "value": "not an address"},
        follow=True,
        HTTP_REFERER="http://testserver/portal/contacts/",
    )
    assert answer.status_code == 200 and 'class="alert error"' in answer.content.decode()


def test_a_notice_is_acknowledged_from_the_portal(sam_portal, sam):
    notice = notifications.notify(
        sam, subject_kind="incident", subject_id="INC-9", title="Relay down", body="b"
    )
    assert "Relay down" in sam_portal.get("/portal/").content.decode()
    sam_portal.post(f"/portal/notices/{notice.pk}/acknowledge")
    notice.refresh_from_db()
    assert notice.status == "acknowledged" and notice.acknowledged_via == "portal"


def test_every_mail_on_a_case_carries_its_portal_link_which_opens_that_case_only(
    client, sam, sam_person, tom, mailoutbox
):
    mine = cases.open_case(
        customer=sam, requester=sam_person, subject="Blog down", body="503", channel="email"
    )
    other = cases.open_case(
        customer=sam, requester=sam_person, subject="Invoice", body="VAT?", channel="email"
    )
    cases.reply_to_case(mine, by=tom, body="On it.")
    link = re.search(r"(http://\S+/portal/open/\S+/)", mailoutbox[-1].body).group(1)
    assert link == links.case_link(mine)
    # when Sam follows it, he sees that case without signing in
    opened = client.get(link.split("8000")[-1], follow=True)
    assert opened.status_code == 200 and "On it." in opened.content.decode()
    # and nothing else: not his other case, not his services or contacts
    assert client.get(f"/portal/cases/{other.ref}/").status_code == 404
    assert client.get("/portal/contacts/")["Location"].startswith("/portal/sign-in/")
    assert "Invoice" not in client.get("/portal/").content.decode()
    # and the case's message keeps our words alone: the link is in the mail as sent
    assert "portal/open" not in mine.messages.get(direction="out").body_text


def test_the_acknowledgement_page_leads_into_the_portal_for_that_case(client, sam, sam_person):
    case = cases.open_case(
        customer=sam, requester=sam_person, subject="Blog down", body="503", channel="email"
    )
    notice = notifications.notify(
        sam, subject_kind="case", subject_id=case.ref, title="We know", body="b", case=case
    )
    token = notifications.ack_link(notice).rstrip("/").rsplit("/", 1)[1]
    page = client.get(f"/notify/ack/{token}/").content.decode()
    assert f'href="/portal/cases/{case.ref}/"' in page
    assert client.get(f"/portal/cases/{case.ref}/").status_code == 200


def test_the_brand_colour_keeps_its_text_readable():
    assert feeds.brand_colours("#1f5fbf") == ("#1f5fbf", "#ffffff")
    colour, text = feeds.brand_colours("#ffd400")  # yellow: dark text reads on it
    assert text == "#1d232b" and feeds.contrast((255, 212, 0), (0x1D, 0x23, 0x2B)) >= 4.5
    colour, text = feeds.brand_colours("#7f7f7f")  # mid grey: neither reads at 4.5, so it darkens
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    assert feeds.contrast(rgb, (255, 255, 255)) >= 4.5 or feeds.contrast(rgb, (0x1D, 0x23, 0x2B)) >= 4.5
    assert feeds.brand_colours("not a colour")[0] == "#1f5fbf"


def test_the_portal_speaks_german_when_asked(sam_portal, blog_down):
    sam_portal.post("/portal/language", {"language": "de"})
    page = sam_portal.get("/portal/").content.decode()
    assert 'lang="de"' in page and "Meine Probleme" in page


def test_a_notices_link_opens_the_accounts_contacts_and_an_actions_notice_what_is_held(
    client, sam, contained_site
):
    # given the notice of the containment, whose link reached Sam's phone
    notice = contained_site.notification
    token = notifications.ack_link(notice).rstrip("/").rsplit("/", 1)[1]
    client.get(f"/notify/ack/{token}/")
    # then its holder sees what is held and why, and how we reach the account, and may fix it
    assert "To be contained" in client.get("/portal/services/").content.decode()
    assert "+44 7700 900456" in client.get("/portal/contacts/").content.decode()
    # but not the incidents page, which takes a sign-in
    assert client.get("/portal/incidents/")["Location"].startswith("/portal/sign-in/")


def test_confirming_an_address_leads_on_to_how_we_reach_the_account(client, sam, sam_person):
    phone = sam_person.contacts.get(kind="phone")
    token = verification.verify_link(phone).rstrip("/").rsplit("/", 1)[1]
    page = client.post(f"/notify/verify/{token}/").content.decode()
    assert 'href="/portal/contacts/"' in page
    assert "+44 7700 900456" in client.get("/portal/contacts/").content.decode()
    assert client.get("/portal/services/")["Location"].startswith("/portal/sign-in/")
