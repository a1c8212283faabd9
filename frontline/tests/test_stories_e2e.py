"""The five stories end to end in Debian's Chromium, each played as the customer and as the agent against a
live server on 127.0.0.1, with screenshots of each story's key pages kept under var/test-artifacts/.

S1 starts from nothing but Alertmanager's webhook, posted over HTTP. S2 to S5 start from the demo provider,
whose build plays each story's beginning through the real services (the ARF report by mail, the bounce, the
SMS ladder, the relay burst and its incident, the scan of forty sites, a dozen contacts through intake); the
browser then plays what the customer and the agent do next.
"""

import io
import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from frontline.agents.models import Agent
from frontline.cases.events import FIX_CONFIRMED
from frontline.cases.models import Case
from frontline.core import clock
from frontline.customers.models import ContactPoint, Customer
from frontline.events.models import Event
from frontline.incidents.models import Incident
from frontline.monitoring import services as monitoring
from frontline.monitoring.models import Health, LooksUp
from frontline.monitoring.tests.payloads import SECRET, alert, group
from frontline.notifications import services as notifications
from frontline.notifications.models import Notification
from frontline.policy import services as policy
from frontline.policy.models import Decision, Override
from frontline.policy.rescans import RESCAN
from frontline.tests.browser import ARTIFACTS, PHONE, keep, serious_violations
from frontline.tests.helpers import run_queued_jobs
from frontline.todos.models import ToDo

pytestmark = [pytest.mark.subprocess, pytest.mark.django_db(transaction=True)]
DEMO_PASSWORD = "northwind-demo"


def _local(url: str, live_server) -> str:
    """A link as we mail it (FRONTLINE_SITE_URL), on the live server the test runs."""
    return re.sub(r"^https?://[^/]+", live_server.url, url)


def _link_in(to: str, pattern: str) -> str:
    for message in reversed(mail.outbox):
        if any(to.lower() == address.lower() for address in message.to):
            found = re.search(pattern, message.body)
            if found:
                return found.group(0)
    raise AssertionError(f"no mail to {to} with {pattern}")


def _agent_signs_in(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(live_server.url + "/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Open cases, most urgent first")


def _customer_signs_in(page, live_server, address: str) -> None:
    page.goto(live_server.url + "/portal/sign-in/")
    page.fill("#email", address)
    page.click("main button[type=submit]")
    expect(page.locator("[role=status]")).to_contain_text("a sign-in link is on its way")
    page.goto(_local(_link_in(address, r"https?://\S+/portal/sign-in/\S+/"), live_server))
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("My problems")


def _accessible(page) -> None:
    assert serious_violations(page) == [], page.url


def _run_ladder(notice) -> None:
    """What the worker does when the notice's rung falls due."""
    token, claimed = notifications.claim_due(only=[notice.pk])
    notifications.run_rungs(claimed, token)


# ---- S1: the blog that was down --------------------------------------------------------------------------


@pytest.fixture
def sam_watched(sam, blog, tom, priya):
    monitoring.add_source(name="alertmanager", kind="alertmanager", secret=SECRET)
    monitoring.add_component(name="web-07", kind="server", group="Web hosting")
    blog.labels = {"site": "walkerblog.example", "instance": "web-07"}
    blog.save(update_fields=["labels"])
    monitoring.save_matcher(label="site", looks_up=LooksUp.UNIT_NAME, position=10, by=priya)
    monitoring.save_matcher(
        label="instance", looks_up=LooksUp.COMPONENT, position=20, health=Health.DOWN, by=priya
    )
    return sam


def test_s1_the_site_goes_down_sam_is_told_tom_fixes_it_and_sam_confirms(
    chromium, live_server, sam_watched, mailoutbox
):
    sam_page, tom_page = chromium(PHONE), chromium()
    # given Alertmanager posts the site's 503s to our webhook, over HTTP
    started = (clock.now() - timedelta(minutes=20)).replace(microsecond=0)
    body = group(
        alert(starts=started.isoformat().replace("+00:00", "Z"), site="walkerblog.example", instance="web-07")
    )
    answer = sam_page.request.post(
        live_server.url + "/monitoring/hooks/alertmanager/",
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"},
    )
    assert answer.status == 202
    run_queued_jobs()  # the worker reads the post
    case = Case.objects.get(customer=sam_watched)
    assert case.impact == "down" and case.problem_started_at == started  # on Sam's clock, from the alert
    _run_ladder(Notification.objects.get(case=case))  # the ladder's first rung: email
    # when Sam follows the notice's link, confirms he read it, and goes on to his portal
    sam_page.goto(_local(_link_in("Sam@WalkerBlog.example", r"https?://\S+/notify/ack/\S+/"), live_server))
    _accessible(sam_page)
    sam_page.click("text=I have read this")
    expect(sam_page.locator("[role=status]")).to_contain_text("Thank you")
    sam_page.click("#portal-link")
    expect(sam_page.locator("#case-state")).to_have_text("we have it and will answer soon")
    _accessible(sam_page)
    keep(sam_page, "s1", "1-customer-case-open")
    # and Tom finds it at the top of his inbox and fixes it
    _agent_signs_in(tom_page, live_server, "tom", "pw-tom-123")
    tom_page.keyboard.press("j")
    tom_page.keyboard.press("Enter")
    expect(tom_page.locator("h1")).to_contain_text(case.subject)
    keep(tom_page, "s1", "2-agent-case")
    tom_page.select_option("select[name=status]", "resolved")
    tom_page.fill(
        "textarea[name=resolution_notes]", "The PHP pool for walkerblog.example was full; restarted it."
    )
    tom_page.click("text=Change status")
    expect(tom_page.locator("[role=status]")).to_contain_text("resolved, awaiting confirmation")
    # then Sam sees it fixed and confirms it works
    sam_page.reload()
    expect(sam_page.locator("#case-state")).to_have_text("fixed: please confirm")
    sam_page.check("input[name=answer][value=yes]")
    sam_page.click("text=Send my answer")
    expect(sam_page.locator("#case-state")).to_have_text("closed")
    keep(sam_page, "s1", "3-customer-confirmed")
    # and the end-to-end time runs from the alert's start to his confirmation
    confirmed = Event.objects.get(case=case, kind=FIX_CONFIRMED)
    end_to_end = confirmed.at - case.problem_started_at
    assert timedelta(minutes=20) <= end_to_end < timedelta(minutes=30)
    (ARTIFACTS / "s1" / "end-to-end.txt").write_text(f"{end_to_end.total_seconds() / 60:.1f} minutes\n")


# ---- S2 to S5, from the demo provider ---------------------------------------------------------------------


@pytest.fixture
def demo(mailoutbox):
    call_command("demo", "--no-serve", "--customers", "40", "--history-cases", "300", stdout=io.StringIO())


def test_s2_the_bounce_is_fixed_by_the_customer_the_host_is_contained_the_line_stays_up(
    chromium, live_server, demo
):
    castle = Customer.objects.get(name="Castle Property Management")
    decision = Decision.objects.get(customer=castle)
    host = decision.unit
    # as the agent: the evidence log shows the bounce, the SMS that reached Helen and her acknowledgement
    kenji = chromium()
    _agent_signs_in(kenji, live_server, "kenji")
    kenji.goto(f"{live_server.url}/customers/{castle.pk}/evidence.html")
    expect(kenji.locator("main")).to_contain_text("mailbox unavailable")
    expect(kenji.locator("main")).to_contain_text("+44 7700 900123")
    keep(kenji, "s2", "1-agent-evidence")
    kenji.goto(live_server.url + decision.case.url)
    expect(kenji.locator("#decisions")).to_contain_text("192.0.2.18")
    keep(kenji, "s2", "2-agent-cleanup-case")
    # as the customer: Helen opens the link her SMS carried and goes on into her portal
    helen = chromium(PHONE)
    helen.goto(_local(notifications.ack_link(decision.notification), live_server))
    expect(helen.locator("[role=status]")).to_contain_text("we have your confirmation")
    helen.click("#portal-link")
    helen.click("text=My services")
    held = helen.locator(f"#unit-{host.pk}")
    expect(held).to_contain_text("contained")
    expect(held).to_contain_text("In force: contained")
    expect(helen.locator("#units")).to_contain_text("FTTP-CASTLE-01")
    _accessible(helen)
    keep(helen, "s2", "3-customer-services")
    # she fixes the bounced mailbox herself
    ops = ContactPoint.objects.get(normalized="ops@castle-pm.example")
    helen.click("text=How we reach you")
    expect(helen.locator(f"#contact-{ops.pk}")).to_contain_text("mailbox unavailable")
    helen.fill(f"#correct-{ops.pk}", "it@castle-pm.example")
    helen.click(f"#contact-{ops.pk} >> text=Save the correction")
    expect(helen.locator("[role=status]")).to_contain_text("Corrected to it@castle-pm.example")
    _accessible(helen)
    keep(helen, "s2", "4-customer-contacts")
    ops.refresh_from_db()
    assert (
        ops.state == "retired"
        and ContactPoint.objects.get(normalized="it@castle-pm.example").customer == castle
    )
    # and after cleaning the host, asks for a re-scan; the clean scan lifts it, the line never went down
    helen.click("text=My services")
    helen.locator(f"#hold-{decision.pk}").get_by_role("button", name="Scan it again").click()
    expect(helen.locator("[role=status]")).to_contain_text("We will scan it again")
    assert ToDo.objects.filter(kind=RESCAN, customer=castle).count() == 1
    policy.receive_events(
        [{"trigger": "malware_scan", "facts": {"infected": False}, "unit": {"unit_id": host.pk}}],
        source="scanner",
    )
    helen.reload()
    expect(helen.locator(f"#unit-{host.pk}")).to_contain_text("working")
    expect(helen.locator(f"#hold-{decision.pk}")).to_have_count(0)
    assert set(castle.units.values_list("state", flat=True)) == {"ok"}


def test_s3_the_relay_incident_is_told_without_asking_and_its_summary_reaches_renee(
    chromium, live_server, demo
):
    incident = Incident.objects.filter(components__name="smtp-2").latest("started_at")
    # as the lead: Priya resolves the incident, writes the postmortem and sends the summary
    priya = chromium()
    _agent_signs_in(priya, live_server, "priya")
    priya.goto(f"{live_server.url}/incidents/{incident.pk}/")
    expect(priya.locator("main")).to_contain_text("smtp-2")
    keep(priya, "s3", "1-agent-incident-evidence")
    priya.select_option("select[name=state]", "resolved")
    priya.fill(
        "textarea[name=body]", "The relay list is restored; mail flows again. Nothing is needed from you."
    )
    priya.click("text=Post update")
    priya.fill(
        "textarea[name=root_cause]", "A relay access list was replaced by an older copy during a change."
    )
    priya.select_option("select[name=cause_class]", "change")
    priya.click("text=Write the postmortem")
    priya.fill(
        "form[action$='/summary'] textarea[name=body]",
        "Outgoing mail through smtp-2 was refused for 49 minutes.",
    )
    priya.click("text=Send to affected customers")
    keep(priya, "s3", "2-agent-postmortem")
    run_queued_jobs()  # the summaries go out through each customer's ladder
    # as the customer: Renee, told without asking, reads the updates and the summary in her portal
    renee = chromium(PHONE)
    _customer_signs_in(renee, live_server, "renee@okafor-consulting.example")
    renee.click("text=Incidents and maintenance")
    section = renee.locator(f"#{incident.ref}")
    expect(section).to_contain_text("The relay list is restored")
    expect(section).to_contain_text("rolling it back now")
    _accessible(renee)
    keep(renee, "s3", "3-customer-incidents")
    # and the summary, with her own timeline, is among the notices to her account
    summary = Notification.objects.get(customer__name="Okafor Consulting", body__contains="49 minutes")
    assert "you first told us" in summary.body or "we told you" in summary.body
    renee.click("text=How we reach you")
    expect(renee.locator("main")).to_contain_text(summary.title)
    # nobody asked Renee to run diagnostics: no reply of ours on her cases asks for a traceroute or logs
    assert not Case.objects.filter(customer__people__name="Renee Okafor", messages__direction="out").filter(
        messages__body_text__iregex=r"traceroute|send us .*log"
    )


def test_s4_a_free_restore_as_goodwill_and_the_customer_sees_it_done(chromium, live_server, demo):
    case = Case.objects.get(customer__name="Lindqvist Ceramics")
    tom = Agent.objects.get(user__username="tom")
    # as the agent: Tom sees similar past cases, and grants a free restore as goodwill with a reason
    agent = chromium()
    _agent_signs_in(agent, live_server, "tom")
    agent.goto(live_server.url + case.url)
    expect(agent.locator("#similar-cases")).to_be_visible()
    agent.select_option("#goodwill select[name=goodwill]", "free_restore")
    agent.fill(
        "#goodwill input[name=reason]",
        "A plugin update we pushed broke the shop; restoring is on us this time.",
    )
    agent.locator("#goodwill").get_by_role("button", name="Grant").click()
    keep(agent, "s4", "1-agent-goodwill")
    granted = Override.objects.get(goodwill="free_restore", customer=case.customer)
    assert granted.agent == tom and policy.goodwill_used(tom) > 0
    agent.goto(live_server.url + case.url)
    agent.fill(
        "form[action$='/reply'] textarea[name=body]",
        "We restored the shop from last night's backup, free of charge.",
    )
    agent.click("text=Send reply")
    agent.select_option("select[name=status]", "resolved")
    agent.fill(
        "textarea[name=resolution_notes]", "Restored from the nightly backup as goodwill (free restore)."
    )
    agent.click("text=Change status")
    # as the customer: Ingrid sees the restore done and confirms
    ingrid = chromium(PHONE)
    _customer_signs_in(ingrid, live_server, "ingrid@lindqvist-ceramics.example")
    ingrid.click(f"text={case.subject}")
    expect(ingrid.locator("#conversation")).to_contain_text("We restored the shop from last night's backup")
    expect(ingrid.locator("#case-state")).to_have_text("fixed: please confirm")
    _accessible(ingrid)
    keep(ingrid, "s4", "2-customer-restore-done")
    ingrid.check("input[name=answer][value=yes]")
    ingrid.click("text=Send my answer")
    expect(ingrid.locator("#case-state")).to_have_text("closed")


def test_s5_a_dozen_contacts_one_case_three_sites_held_and_a_rescan_asked(chromium, live_server, demo):
    rivera = Customer.objects.get(name="Rivera Digital")
    case = Case.objects.get(customer=rivera)
    # as the agent: one case holds every contact, by chat, phone and email, with one owner
    hana = chromium()
    _agent_signs_in(hana, live_server, "hana")
    hana.goto(live_server.url + case.url)
    inbound = case.messages.filter(direction="in")
    assert inbound.count() >= 12 and {"chat", "phone", "email"} <= set(
        inbound.values_list("channel", flat=True)
    )
    expect(hana.locator("#decisions")).to_contain_text("client33")
    keep(hana, "s5", "1-agent-one-case")
    # as the customer: Carmen sees which sites are held, why, and what lifts it, and asks for a re-scan
    carmen = chromium(PHONE)
    _customer_signs_in(carmen, live_server, "carmen@rivera-digital.example")
    carmen.click("text=My services")
    held = Decision.objects.filter(customer=rivera, status="applied").select_related("unit")
    assert sorted(d.unit.name.split(".")[0] for d in held) == ["client07", "client33"]  # client19 was lifted
    for decision in held:
        hold = carmen.locator(f"#hold-{decision.pk}")
        expect(hold).to_contain_text("In force: contained")
        expect(hold).to_contain_text("harmful software")
    expect(carmen.locator(".hold")).to_have_count(2)  # the other 38 sites serve
    _accessible(carmen)
    keep(carmen, "s5", "2-customer-three-sites")
    client33 = next(d for d in held if d.unit.name.startswith("client33"))
    carmen.fill(f"#rescan-{client33.pk}", "Removed the injected PHP files and updated WordPress.")
    carmen.locator(f"#hold-{client33.pk}").get_by_role("button", name="Scan it again").click()
    expect(carmen.locator("[role=status]")).to_contain_text("We will scan it again")
    todo = ToDo.objects.get(kind=RESCAN, customer=rivera)
    assert todo.detail == "Removed the injected PHP files and updated WordPress."
