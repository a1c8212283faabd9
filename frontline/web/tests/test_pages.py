import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from frontline.cases import services
from frontline.cases.clocks import Clock
from frontline.cases.models import Case
from frontline.customers import services as customers
from frontline.events.models import Event, EventKind
from frontline.routing import services as routing
from frontline.web.templatetags.workspace import clock_words

pytestmark = pytest.mark.django_db


def open_cases(customer, count, impact="question"):
    return [
        services.open_case(
            customer=customer,
            subject=f"Problem {n}",
            body=f"Details of problem {n}",
            channel="email",
            impact=impact,
        )
        for n in range(count)
    ]


def test_the_workspace_asks_strangers_to_sign_in(client):
    response = client.get(reverse("cases:inbox"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_sign_in_with_a_password_reaches_the_inbox(client, tom):
    response = client.post(reverse("web:login"), {"username": "tom", "password": "pw-tom-123"}, follow=True)
    assert response.status_code == 200 and b"Open cases" in response.content


@pytest.mark.parametrize("page", ["cases:inbox", "customers:lookup"])
def test_a_login_without_an_agent_profile_gets_403_not_data(client, victor, sam, page):
    open_cases(sam, 1)
    client.force_login(victor)
    response = client.get(reverse(page), {"q": "Walker"})
    assert response.status_code == 403
    assert b"Sam Walker" not in response.content


def test_a_login_without_an_agent_profile_cannot_see_a_case(client, victor, sam):
    (case,) = open_cases(sam, 1)
    client.force_login(victor)
    response = client.get(reverse("cases:detail", args=[case.ref]))
    assert response.status_code == 403 and b"Problem 0" not in response.content


def test_only_admins_reach_the_admin_site(client, tom, ada):
    client.force_login(tom.user)
    assert client.get("/admin/").status_code == 302
    client.force_login(ada.user)
    assert client.get("/admin/").status_code == 200


def test_the_inbox_shows_open_cases_most_urgent_first(signed_in, sam, tom):
    question, *_ = open_cases(sam, 2)
    (down,) = open_cases(sam, 1, impact="down")
    services.change_status(question, status="closed", by=tom, resolution_notes="done")
    response = signed_in.get(reverse("cases:inbox"))
    cases = response.context["page"].items
    assert cases[0] == down
    assert question not in cases
    assert len(cases) == 2


def test_inbox_filters_mine_unassigned_status_topic_and_search(signed_in, sam, tom, web_hosting):
    mine, other, waiting = open_cases(sam, 3)
    services.assign_case(mine, assignee=tom, by=tom)
    services.change_status(waiting, status="waiting_customer", by=tom)
    Case.objects.filter(pk=other.pk).update(topic=web_hosting)

    def refs(**params):
        return [c.ref for c in signed_in.get(reverse("cases:inbox"), params).context["page"].items]

    assert refs(who="mine") == [mine.ref]
    assert mine.ref not in refs(who="unassigned")
    assert refs(status="waiting_customer") == [waiting.ref]
    assert refs(topic="web-hosting") == [other.ref]
    assert refs(q="problem 1") == [other.ref]


def test_an_unknown_status_filter_is_a_clear_400(signed_in):
    response = signed_in.get(reverse("cases:inbox"), {"status": "medium"})
    assert response.status_code == 400 and b"status must be one of" in response.content


def test_a_tampered_page_cursor_is_a_clear_400(signed_in, sam):
    response = signed_in.get(reverse("cases:inbox"), {"after": "not-a-cursor"})
    assert response.status_code == 400


def test_the_inbox_pages_by_keyset_without_repeating_or_losing_a_case(signed_in, sam):
    opened = open_cases(sam, 120)
    seen, after = [], None
    while True:
        params = {"after": after} if after else {}
        page = signed_in.get(reverse("cases:inbox"), params).context["page"]
        seen += [c.pk for c in page.items]
        after = page.next_cursor
        if not after:
            break
    assert sorted(seen) == sorted(c.pk for c in opened) and len(seen) == len(set(seen))


def test_inbox_query_count_does_not_grow_with_the_data(signed_in, sam, django_assert_num_queries):
    open_cases(sam, 3)
    # session, user, agent, the page of cases, two for customers with no working contact, the topics
    with django_assert_num_queries(7):
        signed_in.get(reverse("cases:inbox"))
    open_cases(customers.create_customer(name="Castle"), 60)
    with django_assert_num_queries(7):
        page = signed_in.get(reverse("cases:inbox")).content.decode()
    # and the customer nobody can reach is flagged on its rows, and only on its rows (Castle has no contact
    # point at all; Sam's address works)
    castle_rows = page.count("<td>Castle <span")
    assert castle_rows >= 40 and page.count("no working contact") == castle_rows


def test_the_case_page_shows_timeline_customer_panel_and_priority_reasons(
    signed_in, sam, sam_person, tom, blog
):
    case = services.open_case(
        customer=sam,
        requester=sam_person,
        subject="Blog down",
        body="503 everywhere",
        channel="email",
        impact="down",
        units=[blog],
    )
    services.add_internal_note(case, by=tom, body="Checking web-07")
    services.record_inbound_message(case, channel="chat", body="Any news?", requester=sam_person)
    response = signed_in.get(reverse("cases:detail", args=[case.ref]))
    html = response.content.decode()
    for text in [
        "503 everywhere",
        "Checking web-07",
        "Any news?",
        "Customer since 2009",
        "walkerblog.example",
        "verified, working",
        "impact: down",
        "Chat",
    ]:
        assert text in html, text


def test_case_page_query_count_does_not_grow_with_the_case(
    signed_in, sam, sam_person, tom, django_assert_num_queries, monkeypatch
):
    case = services.open_case(customer=sam, requester=sam_person, subject="x", body="y", channel="email")
    # (The router's current version is asked every few seconds by a process, not for each page: this one
    # has just asked, and does not ask again during the test.)
    monkeypatch.setattr(routing, "NEWEST_MODEL_RECHECK_SECONDS", 3600.0)
    routing.current_model()
    # session, user, agent, case, events, messages, their attachments, their delivery attempts, open to-dos,
    # merged-in cases, the units it is about, the customer's units, account contacts, memberships, their
    # contacts; for the clocks: status changes and our messages; the topics to choose from; the customer's
    # failures of the last 90 days, for the score computed afresh; the rule decisions on the case and the
    # goodwill this agent granted this month; the incident the case is part of (none here); the saved
    # replies offered (none here); the notices to many customers that cover it; the demand class of each of
    # the customer's contacts on it
    expected = 25
    with django_assert_num_queries(expected):
        signed_in.get(reverse("cases:detail", args=[case.ref]))
    for n in range(20):
        services.add_internal_note(case, by=tom, body=f"note {n}")
        services.record_inbound_message(case, channel="email", body=f"more {n}", requester=sam_person)
    for n in range(10):
        customers.add_unit(sam, kind="site", name=f"site{n}.example")
    with django_assert_num_queries(expected):
        signed_in.get(reverse("cases:detail", args=[case.ref]))


def test_an_unknown_or_malformed_case_reference_is_404(signed_in):
    assert signed_in.get(reverse("cases:detail", args=["C-999999"])).status_code == 404
    assert signed_in.get(reverse("cases:detail", args=["C-99999999999999999999999"])).status_code == 404
    assert signed_in.get(reverse("cases:detail", args=["nonsense"])).status_code == 404


def test_an_agent_replies_notes_takes_and_resolves_from_the_case_page(
    signed_in, sam, sam_person, tom, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = services.open_case(
        customer=sam, requester=sam_person, subject="Blog down", body="503", channel="email"
    )
    ref = case.ref
    assert signed_in.post(reverse("cases:assign", args=[ref]), {"assignee": "me"}).status_code == 302
    assert signed_in.post(reverse("cases:reply", args=[ref]), {"body": "On it"}).status_code == 302
    assert signed_in.post(reverse("cases:note", args=[ref]), {"body": "web-07 php pool"}).status_code == 302
    response = signed_in.post(
        reverse("cases:status", args=[ref]), {"status": "resolved", "resolution_notes": "Raised max_children"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (
        case.assignee == tom and case.status == "resolved" and case.resolution_notes == "Raised max_children"
    )
    assert list(Event.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))[2:] == [
        EventKind.CASE_ASSIGNED,
        EventKind.STATUS_CHANGED,
        EventKind.REPLY_SENT,
        EventKind.NOTE_ADDED,
        EventKind.STATUS_CHANGED,
    ]


def test_an_empty_reply_is_refused_with_a_message_not_a_500(signed_in, sam):
    (case,) = open_cases(sam, 1)
    response = signed_in.post(reverse("cases:reply", args=[case.ref]), {"body": "  "})
    assert response.status_code == 400 and b"the reply is empty" in response.content


def test_an_agent_may_not_give_a_case_to_someone_else(signed_in, sam, priya):
    (case,) = open_cases(sam, 1)
    response = signed_in.post(reverse("cases:assign", args=[case.ref]), {"assignee": str(priya.pk)})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.assignee is None


def test_a_lead_may_give_a_case_to_someone_else(client, priya, tom, sam):
    (case,) = open_cases(sam, 1)
    client.force_login(priya.user)
    client.post(reverse("cases:assign", args=[case.ref]), {"assignee": str(tom.pk)})
    case.refresh_from_db()
    assert case.assignee == tom


@pytest.mark.parametrize("assignee", ["abc", "999999"])
def test_assigning_to_nobody_known_is_404(signed_in, sam, assignee):
    (case,) = open_cases(sam, 1)
    assert signed_in.post(reverse("cases:assign", args=[case.ref]), {"assignee": assignee}).status_code == 404


def test_get_never_changes_state(signed_in, sam):
    (case,) = open_cases(sam, 1)
    assert signed_in.get(reverse("cases:assign", args=[case.ref]), {"assignee": "me"}).status_code == 405
    case.refresh_from_db()
    assert case.assignee is None


def test_customer_lookup_finds_the_caller_and_flags_a_customer_nobody_can_reach(signed_in, sam):
    castle = customers.create_customer(name="Castle Property Management", plan="fibre")
    ops = customers.add_contact_point(customer=castle, kind="email", value="ops@castle-pm.example")
    customers.mark_contact_failing(ops, reason="550 5.1.1")
    html = signed_in.get(reverse("customers:lookup"), {"q": "castle-pm.example"}).content.decode()
    assert "Castle Property Management" in html and "no working contact" in html
    html = signed_in.get(reverse("customers:detail", args=[castle.pk])).content.decode()
    assert "No working way to reach this customer" in html


def test_static_files_are_served_from_the_project_not_a_cdn(signed_in, client):
    html = signed_in.get(reverse("cases:inbox")).content.decode()
    assert "/static/web/htmx.min.js" in html and "https://" not in html


@pytest.mark.parametrize("page", ["cases:inbox", "customers:lookup"])
def test_a_nul_character_in_a_search_is_a_clear_400(signed_in, page):
    response = signed_in.get(reverse(page), {"q": "abc\x00"})
    assert response.status_code == 400 and b"NUL characters" in response.content


def test_a_chaser_shows_once_with_its_failure_demand_beside_it(signed_in, sam):
    import datetime

    from frontline.core import clock

    # given a case whose first answer from us is overdue
    start = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
    with clock.frozen_at(start):
        (case,) = open_cases(sam, 1)
    # when the customer chases us two days later
    with clock.frozen_at(start + datetime.timedelta(days=2)):
        services.record_inbound_message(case, channel="email", body="Any news? Still broken.")
    assert Event.objects.filter(case=case, kind=EventKind.DEMAND_RECORDED).count() == 1
    # then the page shows the chaser once, tagged as failure demand with how late we were
    html = signed_in.get(reverse("cases:detail", args=[case.ref])).content.decode()
    assert html.count("Any news? Still broken.") == 1
    assert (
        html.count("Failure demand recorded") == 1
        and "chased us" in html
        and "after our answer was due" in html
    )


def test_spans_read_in_words():
    from frontline.web.templatetags.workspace import minutes_words

    assert [minutes_words(m) for m in (0, 1, 45, 60, 119, 120, 2879, 2880, 7204)] == [
        "0 minutes",
        "1 minute",
        "45 minutes",
        "1 hour",
        "1 hour",
        "2 hours",
        "47 hours",
        "2 days",
        "5 days",
    ]


def test_service_clocks_read_as_a_person_says_them():
    def at(state, elapsed_min, target_min):
        return Clock("first response", state, target_min * 60, elapsed_min * 60, None, None, "")

    assert clock_words(at("breached", 7204, 120)) == "4 days overdue (target 2 hours)"
    assert clock_words(at("running", 45, 240)) == "3 hours left of 4 hours"
    assert clock_words(at("met", 40, 120)) == "met in 40 minutes (target 2 hours)"
    assert clock_words(at("paused", 180, 1440)) == "paused at 3 hours of 24 hours"


def test_the_inbox_marks_a_case_whose_customer_wrote_again_after_our_answer_only(
    signed_in, sam, sam_person, tom, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    fresh = services.open_case(
        customer=sam, requester=sam_person, subject="Fresh", body="new", channel="email"
    )
    again = services.open_case(
        customer=sam, requester=sam_person, subject="Again", body="first", channel="email"
    )
    services.reply_to_case(again, by=tom, body="Done.")
    services.record_inbound_message(again, channel="email", body="Not done", requester=sam_person)
    rows = signed_in.get(reverse("cases:inbox")).content.decode().split("<tr")
    assert "wrote again" in next(r for r in rows if "Again" in r)
    assert "wrote again" not in next(r for r in rows if f"{fresh.ref}</a> Fresh" in r)


def test_the_inbox_row_escapes_what_customers_and_agents_wrote(signed_in, tom):
    # given a customer, a subject and an owner carrying markup and quotes
    marked = customers.create_customer(name='Bobby <img src=x onerror="alert(1)">')
    case = services.open_case(
        customer=marked,
        requester=None,
        subject="<script>alert('x')</script> & more",
        body="b",
        channel="email",
    )
    tom.display_name = 'Tom "the <b>boss</b>"'
    tom.save(update_fields=["display_name"])
    services.assign_case(case, assignee=tom, by=tom)
    # when the inbox is shown
    row = next(
        r for r in signed_in.get(reverse("cases:inbox")).content.decode().split("<tr") if case.ref in r
    )
    # then every value is text, not markup
    assert "<script>" not in row and "<img" not in row and "<b>" not in row
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in row
    assert "Bobby &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in row
    assert "Tom &quot;the &lt;b&gt;boss&lt;/b&gt;&quot;" in row


def test_the_public_form_and_chat_carry_the_providers_name_logo_and_colour(client, settings):
    settings.FRONTLINE_PROVIDER_NAME = "Northwind Hosting"
    settings.FRONTLINE_PROVIDER_LOGO = "/static/northwind.svg"
    for path in ("/contact/", "/chat/"):
        page = client.get(path).content.decode()
        assert "Northwind Hosting" in page and 'src="/static/northwind.svg"' in page
        assert 'href="/portal/brand.css"' in page


def test_a_form_with_a_non_ascii_digit_where_an_id_goes_is_refused_not_a_500(signed_in, sam, sam_person):
    # "²" passes str.isdigit, and int() raises on it
    case = services.open_case(customer=sam, requester=sam_person, subject="x", body="y", channel="email")
    assert signed_in.post(reverse("cases:assign", args=[case.ref]), {"assignee": "²"}).status_code == 404
    assert signed_in.get(reverse("cases:detail", args=["C-²"])).status_code == 404
    answer = signed_in.post(reverse("cases:call", args=[case.ref]), {"summary": "s", "minutes": "³"})
    assert answer.status_code == 400


def test_the_inbox_row_explains_its_priority_term_by_term_in_its_tooltip(signed_in, sam):
    # given a case whose priority has several terms
    (down,) = open_cases(sam, 1, impact="down")
    terms = down.priority_explanation
    assert len(terms) > 1
    # when the inbox lists it
    page = signed_in.get(reverse("cases:inbox")).content.decode()
    # then its priority's tooltip names each term's reason and points, a line each
    expected = "\n".join(f"{term['reason']}: {term['points']}" for term in terms)
    assert f'title="{escape(expected)}">{round(down.priority)}</td>' in page
    # and the points are written as the reader's language writes numbers
    with translation.override("de"):
        assert f"{terms[0]['reason']}: {str(terms[0]['points']).replace('.', ',')}" in down.priority_reasons
