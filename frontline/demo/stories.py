"""The five stories as live cases, built through the services, as far as today's features reach.

S1 Sam Walker's blog down (monitoring opened the case; Sam chases), S2 Castle's line with a bouncing ops
mailbox and an abuse report about one host, S3 Okafor Consulting's forty clients hit by a relay fault,
S4 a Starter-plan shop asking for a restore, S5 Rivera Digital's three infected sites out of forty.
"""

import datetime
from email.message import EmailMessage

from django.conf import settings
from django.db import transaction

from frontline.agents.models import Agent, Skill
from frontline.cases import services as cases
from frontline.cases.models import Case
from frontline.core import clock
from frontline.customers import services as customers
from frontline.customers.models import Customer
from frontline.demo import gateway, monitored
from frontline.demo.rules import seed_rules
from frontline.intake import public
from frontline.intake import services as intake
from frontline.intake.models import Source
from frontline.notifications import services as notifications
from frontline.policy import services as policy
from frontline.policy.models import Decision


def _minutes_ago(now, minutes):
    return clock.frozen_at(now - datetime.timedelta(minutes=minutes))


def _rivera_mail(sender, subject, body, message_id, in_reply_to=""):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, settings.DEFAULT_FROM_EMAIL, subject
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = msg["References"] = in_reply_to
    msg.set_content(body)
    return intake.receive(msg.as_bytes(), source=Source.SMTP)


def _confirmed_by_its_sender(row) -> None:
    """The web form's sender presses the button in the mail we sent them (the form is public: nothing reaches
    a case before that)."""
    public.confirm_web_form(public.confirmation_link(row).rstrip("/").rsplit("/", 1)[1])


def _rivera_contacts(now, case, hana) -> None:
    """S5's twelve contacts by chat, phone, email and the web form, each through intake like any other:
    none is put on the case by hand, and all of them land on the one case, with the rule that put it there."""
    carmen, luis = (
        "Carmen Rivera <carmen@rivera-digital.example>",
        "Luis Ortega <luis@rivera-digital.example>",
    )
    with _minutes_ago(now, 170):
        # Carmen chats from Northwind's control panel, where she is signed in: the widget carries her signed
        # identity, so the chat may join her case.
        chat, _ = public.start_chat(
            name="Carmen Rivera",
            email="carmen@rivera-digital.example",
            body="Hi, we got a scanner warning about client07.rivera-sites.example. What happens now?",
            identity=public.chat_identity("carmen@rivera-digital.example"),
        )
    with _minutes_ago(now, 160):
        first = _rivera_mail(
            carmen,
            "Scanner warning on our sites",
            "Your scanner says client19.rivera-sites.example is infected. "
            "Which sites exactly, and what do we do?",
            "<s5-1@rivera-digital.example>",
        )
    with _minutes_ago(now, 150):
        public.log_phone_call(
            by=hana,
            customer=case.customer,
            caller="+44 7700 900789",
            summary="Carmen called: which of the sites are infected? "
            "Will client33.rivera-sites.example go offline?",
            duration_seconds=420,
        )
    with _minutes_ago(now, 140):
        answer = cases.reply_to_case(
            case,
            by=hana,
            body="Three sites are affected: client07, client19 and client33. Nothing is switched off while "
            "you clean them; the other 37 sites are not touched. I am your contact for this.",
        )
    with _minutes_ago(now, 130):
        public.chat_message(chat, "Are the other 37 sites safe? Our clients are asking.")
    with _minutes_ago(now, 120):
        _rivera_mail(
            luis,
            "Warning page on client07.rivera-sites.example",
            "client07.rivera-sites.example shows a security warning to visitors since this morning.",
            "<s5-2@rivera-digital.example>",
        )
    with _minutes_ago(now, 100):
        _confirmed_by_its_sender(
            public.submit_web_form(
                {
                    "name": "Carmen Rivera",
                    "email": "carmen@rivera-digital.example",
                    "subject": "Please do not suspend the reseller account",
                    "body": "client19.rivera-sites.example belongs to a charity. Please do not suspend "
                    "the whole account for three sites.",
                }
            )
        )
    with _minutes_ago(now, 90):
        public.log_phone_call(
            by=hana,
            customer=case.customer,
            caller="+44 7700 900654",
            summary="Luis called about the cleanup steps for client33.rivera-sites.example.",
            duration_seconds=600,
        )
    with _minutes_ago(now, 75):
        _rivera_mail(
            carmen,
            "Re: Scanner warning on our sites",
            "Thanks. We have a backup from last week; is that clean enough to restore?",
            "<s5-3@rivera-digital.example>",
            in_reply_to=first.message.message_id,
        )
    with _minutes_ago(now, 60):
        _rivera_mail(
            luis,
            f"Re: [{case.ref}] Malware scan: 3 of 40 sites infected",
            "We have started cleaning client07. Please don't suspend the account.",
            "<s5-4@rivera-digital.example>",
        )
    with _minutes_ago(now, 45):
        public.chat_message(chat, "client19 is cleaned too, can you scan it again?")
    with _minutes_ago(now, 30):
        public.log_phone_call(
            by=hana,
            customer=case.customer,
            caller="+44 7700 900789",
            summary="Carmen: all three cleaned, asks for a re-scan today.",
            duration_seconds=180,
            case=case,
        )
    with _minutes_ago(now, 20):
        _rivera_mail(
            carmen,
            "Re: Malware scan",
            "Thank you Hana, that was clear. We will send the re-scan request for client33 in the morning.",
            "<s5-5@rivera-digital.example>",
            in_reply_to=answer.message_id,
        )


def _run_due(notice, at) -> None:
    """What the worker does at that time, for this one notification."""

    with clock.frozen_at(at):
        token, claimed = notifications.claim_due(only=[notice.pk])
        notifications.run_rungs(claimed, token)


def _acknowledge(notice, at, client: str) -> None:
    """The customer presses the button behind the notice's link."""

    with clock.frozen_at(at):
        token = notifications.ack_link(notice).rstrip("/").rsplit("/", 1)[1]
        notifications.acknowledge_by_link(token, client=client)


def _abuse_report(at: datetime.datetime) -> bytes:
    """The CERT's ARF report (RFC 5965) about one host behind Castle's line."""
    from email.utils import format_datetime

    return (
        "From: CERT Abuse Desk <abuse@cert.example>\r\n"
        f"To: abuse@{settings.DEFAULT_FROM_EMAIL.split('@')[-1]}\r\n"
        "Subject: Abuse report: 192.0.2.18 spreading a worm\r\n"
        "Message-ID: <arf-20261102-0042@cert.example>\r\n"
        f"Date: {format_datetime(at)}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\n"
        "Host 192.0.2.18 has been scanning port 445 across the internet for two hours (worm behaviour). "
        "Other addresses on the network are not involved.\r\n"
        "--R\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: CERT-Reporter/2.1\r\nVersion: 1\r\n"
        f"Source-IP: 192.0.2.18\r\nArrival-Date: {format_datetime(at - datetime.timedelta(hours=2))}\r\n"
        "Incidents: 412\r\nCategory: worm\r\n\r\n"
        "--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "Received: from 192.0.2.18 by sensor-3.cert.example\r\n"
        "--R--\r\n"
    ).encode()


def _castle_is_told(now, notice) -> None:
    """S2's notice, through the real ladder: the email to the ops mailbox is accepted, then bounces (the
    mailbox was deleted), which marks the address failing with a fix-it to-do and brings the SMS rung
    forward; the SMS reaches Helen's mobile and she acknowledges from its link. The action keeps its time."""

    report_at, minute = now - 8 * datetime.timedelta(hours=1), datetime.timedelta(minutes=1)
    with gateway.running():
        _run_due(notice, report_at)
        with clock.frozen_at(report_at + 2 * minute):
            intake.receive(
                _bounce(
                    about=notice.attempts.get(channel="email").header_message_id,
                    recipient="ops@castle-pm.example",
                    diagnostic="550 5.1.1 <ops@castle-pm.example>: mailbox unavailable",
                ),
                source=Source.SMTP,
            )
        _run_due(notice, report_at + 2 * minute)
    _acknowledge(notice, report_at + 6 * minute, "Helen Castle's phone")


def _bounce(*, about: str, recipient: str, diagnostic: str) -> bytes:
    """A delivery status notification (RFC 3464) as the receiving mail server sends it."""
    return (
        "From: MAILER-DAEMON@mx.castle-pm.example\r\n"
        f"To: {settings.DEFAULT_FROM_EMAIL}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.castle-pm.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.castle-pm.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {about}\r\n"
        "--B--\r\n"
    ).encode()


def _scan_result(site, infected: bool) -> dict:
    return {
        "trigger": "malware_scan",
        "kind": "scan",
        "facts": {
            "infected": infected,
            "signature": "PHP.Injector.B" if infected else "",
            "confidence": 0.97 if infected else 1.0,
            "scanner": "maldet",
            "files": 6 if infected else 0,
        },
        "unit": {"unit_id": site.pk},
    }


def _topic(slug):
    return Skill.objects.get(slug=slug)


@transaction.atomic
def build_stories(now: datetime.datetime) -> dict[str, Customer]:
    made = {}
    hour = datetime.timedelta(hours=1)
    seed_rules()
    monitored.build_ground(now)

    # S1: the blog that has been down for five days, and nobody answered Sam.
    day = 24 * hour
    with clock.frozen_at(now - 6 * day):
        sam = customers.create_customer(
            name="Sam Walker",
            plan="starter",
            customer_since=datetime.date(2009, 4, 2),
            monthly_value="6.99",
            via="seed",
        )
        account = customers.add_unit(sam, kind="account", name="acct-walker", via="seed")
        customers.add_unit(
            sam,
            kind="site",
            name="walkerblog.example",
            parent=account,
            hostname="web-07",
            labels={"site": "walkerblog.example", "instance": "web-07"},
            end_users=2400,  # readers a day
            via="seed",
        )
        person = customers.add_person(sam, name="Sam Walker", via="seed")
        email = customers.add_contact_point(
            person=person, kind="email", value="sam@walkerblog.example", via="seed"
        )
        customers.verify_contact_point(email, via="seed")
        phone = customers.add_contact_point(
            person=person, kind="phone", value="+44 7700 900456", label="mobile", via="seed"
        )
        customers.verify_contact_point(phone, via="seed")
    # Monitoring sees it within the minute and posts to our webhook: the case opens for Sam on his clock,
    # routed, and the ladder starts telling him. (He wrote two days later all the same: nobody answered.)
    monitored.post_alert(
        now - 5 * day + datetime.timedelta(seconds=40),
        name="SiteDown",
        status="firing",
        starts=now - 5 * day,
        key='{}:{alertname="SiteDown"}',
        site="walkerblog.example",
        instance="web-07",
    )
    case = sam.cases.get()
    with clock.frozen_at(now - 2 * day):
        cases.record_inbound_message(
            case,
            channel="email",
            requester=person,
            sender="sam@walkerblog.example",
            subject="Re: walkerblog.example",
            body="Any news? The blog has been down for three days now and nobody has answered me.",
        )
    made["S1"] = sam

    # S2: the line, the bouncing mailbox and the infected host.
    with clock.frozen_at(now - 5 * hour):
        castle = customers.create_customer(
            name="Castle Property Management",
            plan="fibre",
            tier="priority",
            customer_since=datetime.date(1996, 9, 1),
            monthly_value="640.00",
            via="seed",
        )
        line = customers.add_unit(
            castle,
            kind="line",
            name="FTTP-CASTLE-01",
            hostname="cpe-castle",
            labels={"line": "FTTP-CASTLE-01"},
            via="seed",
        )
        port = customers.add_unit(
            castle, kind="port", name="port-12 (192.0.2.16/29)", parent=line, via="seed"
        )
        for n in range(17, 23):
            customers.add_unit(
                castle, kind="host", name=f"192.0.2.{n}", parent=port, ip_address=f"192.0.2.{n}", via="seed"
            )
        manager = customers.add_person(castle, name="Helen Castle", role="owner", via="seed")
        mobile = customers.add_contact_point(
            person=manager, kind="phone", value="+44 7700 900123", label="mobile", via="seed"
        )
        customers.verify_contact_point(mobile, via="seed")
        customers.add_contact_point(
            person=manager, kind="phone", value="+44 20 7946 0123", label="office", via="seed"
        )
        customers.add_contact_point(
            customer=castle, kind="email", value="ops@castle-pm.example", label="ops mailbox", via="seed"
        )
    # The CERT's report arrives by mail; the rules contain that host, after notice, never the line.
    with clock.frozen_at(now - 8 * hour):
        intake.receive(_abuse_report(now - 8 * hour), source=Source.SMTP)
    decision = Decision.objects.get(customer=castle)
    _castle_is_told(now, decision.notification)
    with clock.frozen_at(decision.due_at):  # the grace has ended: the worker puts the action in force
        policy.apply_due_decisions()
    made["S2"] = castle

    # S3: the expert and her forty clients.
    with clock.frozen_at(now - 6 * hour):
        okafor = customers.create_customer(
            name="Okafor Consulting",
            plan="business",
            tier="priority",
            customer_since=datetime.date(2014, 3, 12),
            monthly_value="85.00",
            via="seed",
        )
        renee = customers.add_person(okafor, name="Renee Okafor", role="owner", via="seed")
        renee_email = customers.add_contact_point(
            person=renee, kind="email", value="renee@okafor-consulting.example", via="seed"
        )
        customers.verify_contact_point(renee_email, via="seed")
        clients = []
        for n in range(1, 41):
            client = customers.create_customer(
                name=f"Okafor client {n:02d}",
                plan="business",
                customer_since=datetime.date(2016 + n % 9, 1 + n % 12, 1 + n % 27),
                monthly_value="29.00",
                via="seed",
            )
            customers.link_person(renee, client, role="delegate", via="seed")
            customers.add_unit(
                client,
                kind="mailbox",
                name=f"office@client{n:02d}.example",
                hostname="smtp-2",
                labels={"relay": "smtp-2"},
                via="seed",
            )
            owner = customers.add_person(client, name=f"Client {n:02d} Owner", via="seed")
            address = f"owner@client{n:02d}.example"
            customers.add_contact_point(person=owner, kind="email", value=address, via="seed")
            clients.append((client, owner, address))
    # June's incident on the same relay, the grouping rules, and the change recorded an hour ago.
    monitored.relay_history(now)
    monitored.correlation_ground(now)
    relay_cases = []
    senders = [(okafor, renee, "renee@okafor-consulting.example"), *clients[:6]]
    for n, (client, owner, sender) in enumerate(senders):  # a burst: one a minute from 56 minutes ago
        with clock.frozen_at(now - (56 - n) * datetime.timedelta(minutes=1)):
            relay_cases.append(
                cases.open_case(
                    customer=client,
                    requester=owner,
                    sender=sender,
                    channel="email",
                    impact="down",
                    subject="Outgoing mail rejected: 550 relay denied",
                    body="Since a few minutes ago every message we send through smtp-2 is rejected with "
                    "'550 relay denied'. Nothing changed on our side.",
                    topic=_topic("email-delivery"),
                    units=list(client.units.all()),
                )
            )
    # The fifth client's case made the burst: rule 'relay bursts' opened the incident, which told all forty
    # clients; the relay's alert joins it; a lead links Renee's own case and says what was found.
    monitored.relay_incident(now, relay_cases[0])
    made["S3"] = okafor

    # S4: the shop on the cheapest plan that needs a restore.
    with clock.frozen_at(now - 26 * hour):
        shop = customers.create_customer(
            name="Lindqvist Ceramics",
            plan="starter",
            customer_since=datetime.date(2021, 5, 17),
            monthly_value="4.99",
            via="seed",
        )
        account = customers.add_unit(shop, kind="account", name="acct-lindqvist", via="seed")
        customers.add_unit(
            shop,
            kind="site",
            name="lindqvist-ceramics.example",
            parent=account,
            hostname="web-03",
            via="seed",
        )
        ingrid = customers.add_person(shop, name="Ingrid Lindqvist", via="seed")
        customers.add_contact_point(
            person=ingrid, kind="email", value="ingrid@lindqvist-ceramics.example", via="seed"
        )
        cases.open_case(
            customer=shop,
            requester=ingrid,
            sender="ingrid@lindqvist-ceramics.example",
            channel="phone",
            subject="Please restore our shop from yesterday's backup",
            body="Caller: Ingrid Lindqvist. A plugin update broke the shop's product pages. She asks us "
            "to restore the site from last night's backup; she was told restores are not part of the "
            "Starter plan.",
            impact="degraded",
            topic=_topic("web-hosting"),
        )
    made["S4"] = shop

    # S5: the agency whose three infected sites must not take the other thirty-seven down with them.
    with clock.frozen_at(now - 4 * hour):
        rivera = customers.create_customer(
            name="Rivera Digital",
            plan="reseller",
            tier="priority",
            customer_since=datetime.date(2012, 11, 5),
            monthly_value="310.00",
            via="seed",
        )
        account = customers.add_unit(rivera, kind="account", name="reseller-rivera", via="seed")
        sites = [
            customers.add_unit(
                rivera,
                kind="site",
                name=f"client{n:02d}.rivera-sites.example",
                parent=account,
                hostname="web-12",
                via="seed",
            )
            for n in range(1, 41)
        ]
        carmen = customers.add_person(rivera, name="Carmen Rivera", via="seed")
        point = customers.add_contact_point(
            person=carmen, kind="email", value="carmen@rivera-digital.example", via="seed"
        )
        customers.verify_contact_point(point, via="seed")
        customers.add_contact_point(
            person=carmen, kind="phone", value="+44 7700 900789", label="mobile", via="seed"
        )
        luis = customers.add_person(rivera, name="Luis Ortega", role="technical", via="seed")
        customers.verify_contact_point(
            customers.add_contact_point(
                person=luis, kind="email", value="luis@rivera-digital.example", via="seed"
            ),
            via="seed",
        )
    # The scanner reports on all forty sites; three are infected. The rule contains those three after notice.
    infected = {7, 19, 33}
    with clock.frozen_at(now - 9 * hour):
        policy.receive_events(
            [_scan_result(site, n + 1 in infected) for n, site in enumerate(sites)],
            source="scanner",
            batch="scan:maldet-20261102-0600",
        )
    case = Case.objects.get(customer=rivera)  # routed when the rules opened it
    hana = Agent.objects.get(user__username="hana")
    if case.assignee_id != hana.pk:  # Hana knows Rivera's sites: her team lead gives her the cleanup
        with clock.frozen_at(now - 9 * hour):
            cases.assign_case(case, assignee=hana, by=Agent.objects.get(user__username="priya"), via="seed")
    notice = Decision.objects.filter(customer=rivera).first().notification
    _run_due(notice, now - 9 * hour)
    _acknowledge(notice, now - 8 * hour, "Carmen Rivera's laptop")  # acknowledging does not hasten it
    with clock.frozen_at(now - 3 * hour):  # the grace ends: three sites held, thirty-seven serving
        policy.apply_due_decisions()
    _rivera_contacts(now, case, hana)
    # client19 was cleaned; the re-scan Carmen asked for finds it clean and lifts its containment.
    with clock.frozen_at(now - 40 * datetime.timedelta(minutes=1)):
        policy.receive_events([_scan_result(sites[18], False)], source="scanner", batch="scan:rescan-19")
    made["S5"] = rivera

    # Beyond the stories: a site that went down and came back, confirmed by its owner; planned work.
    made["recovered"] = monitored.recovered_and_confirmed(now)
    monitored.planned_work(now)
    return made
