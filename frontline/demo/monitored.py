"""Monitoring and incidents in the demo: our components, an Alertmanager source and its matchers; alerts
posted through the webhook's own services (stored body, then read as the worker reads it); a site that went
down and came back, confirmed by its owner; S3's relay incident with its updates and ledger; and planned
maintenance on a web server, announced to the customers on it; the grouping rules, a recorded change, and
June's incident on the same relay with its never-done corrective action."""

import datetime
import json

from frontline.agents.models import Agent
from frontline.cases import confirmation
from frontline.core import clock
from frontline.correlation import rules as grouping
from frontline.customers import services as customers
from frontline.incidents import maintenance, postmortems, running
from frontline.incidents.models import Incident
from frontline.monitoring import changes
from frontline.monitoring import services as monitoring
from frontline.monitoring.models import Component, LooksUp
from frontline.notifications import services as notifications

# The demo's Alertmanager source: `Authorization: Bearer <this>` on /monitoring/hooks/alertmanager/.
SOURCE_SECRET = "northwind-demo-alertmanager-bearer-token"
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


def build_ground(now: datetime.datetime) -> None:
    """Components, the source and the matchers, before any story's alert."""
    with clock.frozen_at(now - datetime.timedelta(days=200)):
        for n in range(1, 25):
            monitoring.add_component(name=f"web-{n:02d}", kind="server", group="Web hosting")
        for name in ("smtp-1", "smtp-2"):
            monitoring.add_component(name=name, kind="relay", group="Mail")
        for n in range(1, 5):
            monitoring.add_component(name=f"mx-{n}", kind="mx", group="Mail")
        core = monitoring.add_component(name="core-1", kind="router", group="Network")
        for n in range(1, 5):
            monitoring.add_component(name=f"sw-{n}", kind="switch", group="Network", parent=core)
        monitoring.add_source(name="alertmanager", kind="alertmanager", secret=SOURCE_SECRET)
        lead = Agent.objects.get(user__username="priya")
        monitoring.save_matcher(
            label="site", looks_up=LooksUp.UNIT_NAME, position=10, topic="web-hosting", by=lead
        )
        monitoring.save_matcher(label="line", looks_up=LooksUp.UNIT_LABEL, position=20, by=lead)
        monitoring.save_matcher(label="instance", looks_up=LooksUp.COMPONENT, position=30, by=lead)


def _rfc3339(at: datetime.datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def alertmanager_body(
    *,
    name: str,
    status: str,
    starts: datetime.datetime,
    key: str,
    fingerprint: str,
    summary: str,
    ended: datetime.datetime | None = None,
    group_by: tuple[str, ...] = ("alertname",),
    **labels,
) -> dict:
    """One alert as Alertmanager's webhook posts it (payload version 4): the demo's and the benchmark's."""
    labels = {"alertname": name, **labels}
    alert = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": summary},
        "startsAt": _rfc3339(starts),
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else _rfc3339(ended or starts),
        "generatorURL": "http://prometheus.northwind.example/graph",
        "fingerprint": fingerprint,
    }
    return {
        "version": "4",
        "groupKey": key,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "frontline",
        "groupLabels": {label: labels[label] for label in group_by},
        "commonLabels": labels,
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.northwind.example",
        "alerts": [alert],
    }


def post_alert(
    at: datetime.datetime, *, name: str, status: str, starts: datetime.datetime, key: str, **labels
):
    """What Alertmanager posts, received and read as the webhook and the worker do."""
    about = labels.get("site") or labels.get("instance")
    body = alertmanager_body(
        name=name,
        status=status,
        starts=starts,
        ended=at,
        key=key,
        fingerprint=f"{name}-{about}",
        summary=f"{name} for {about}",
        **labels,
    )
    with clock.frozen_at(at):
        source = monitoring.Source.objects.get(name="alertmanager")
        post = monitoring.receive(source, json.dumps(body).encode())
        monitoring.read_post(monitoring.AlertPost.objects.select_related("source").get(pk=post.pk))


def recovered_and_confirmed(now: datetime.datetime):
    """Greenfield Bakery's site was down for two hours yesterday: told within the minute, told it was back,
    and its owner confirmed."""
    day = datetime.timedelta(days=1)
    with clock.frozen_at(now - 30 * day):
        bakery = customers.create_customer(
            name="Greenfield Bakery",
            plan="business",
            customer_since=datetime.date(2019, 6, 3),
            monthly_value="19.99",
        )
        account = customers.add_unit(bakery, kind="account", name="acct-greenfield")
        site = customers.add_unit(
            bakery,
            kind="site",
            name="greenfield-bakery.example",
            parent=account,
            hostname="web-03",
            labels={"site": "greenfield-bakery.example", "instance": "web-03"},
            end_users=300,
        )
        owner = customers.add_person(bakery, name="Maya Green")
        customers.verify_contact_point(
            customers.add_contact_point(person=owner, kind="email", value="maya@greenfield-bakery.example")
        )
    start = now - day - datetime.timedelta(hours=3)
    labels = {"site": site.name, "instance": "web-03"}
    key = '{}:{alertname="SiteDown"}'
    for at, status in ((start + datetime.timedelta(seconds=40), "firing"), (start + 2 * HOUR, "resolved")):
        post_alert(at, name="SiteDown", status=status, starts=start, key=key, **labels)
    case = bakery.cases.get()
    with clock.frozen_at(start + 3 * HOUR):
        confirmation.confirm_fix(case, answer="yes", via="link")
    return bakery


def _run_ladders(at: datetime.datetime) -> None:
    """The rungs due by then go out, as the worker would send them."""
    with clock.frozen_at(at):
        token, claimed = notifications.claim_due(size=5000)
        notifications.run_rungs(claimed, token)


def relay_history(now: datetime.datetime) -> Incident:
    """June: smtp-2 rejected our customers' mail for 95 minutes after an access-list change. The postmortem
    gave Aisha a preventive action (check the access list in CI before it is deployed), never done."""
    june = (now - datetime.timedelta(days=172)).replace(hour=8, minute=10, second=0, microsecond=0)
    lead = Agent.objects.get(user__username="priya")
    relay = Component.objects.get(name="smtp-2")
    with clock.frozen_at(june):
        incident = running.open_incident(
            title="Outgoing mail rejected by smtp-2", components=[relay], by=lead, via="seed"
        )
    with clock.frozen_at(june + 95 * MINUTE):
        running.resolve(
            incident,
            body="An access-list change on smtp-2 was rolled back at 09:45; mail flows again.",
            by=lead,
            via="seed",
        )
    for at in (june + 96 * MINUTE, june + datetime.timedelta(days=1, minutes=97)):
        _run_ladders(at)  # June's ladders ran in June
    with clock.frozen_at(june + datetime.timedelta(days=1)):
        postmortem = postmortems.write_postmortem(
            incident,
            root_cause="The relay's access list was regenerated from a template that lacked our customers' "
            "networks, so smtp-2 answered '550 relay denied' to them until the change was rolled back.",
            cause_class="change",
            by=lead,
            via="seed",
        )
        postmortems.add_action(
            postmortem,
            kind="prevent",
            description="Check the relay's generated access list against the customer networks in CI, "
            "before it is deployed",
            owner=Agent.objects.get(user__username="aisha"),
            priority="high",
            by=lead,
            via="seed",
        )
    return incident


def correlation_ground(now: datetime.datetime) -> None:
    """The grouping rules Northwind runs, and the change its configuration management recorded an hour
    ago: the one that broke smtp-2 again."""
    lead = Agent.objects.get(user__username="priya")
    with clock.frozen_at(now - datetime.timedelta(days=30)):
        grouping.save_rule(
            by=lead,
            name="relay bursts",
            description="Customers behind one mail relay reporting trouble: open the incident and tell all.",
            condition='element.kind == "relay" && case.impact != "question"',
            min_count=5,
            window_minutes=15,
            needs_approval=False,
            mode="on",
            via="seed",
        )
        grouping.save_rule(
            by=lead,
            name="switch bursts",
            description="Lines behind one access switch: a lead decides.",
            condition='element.kind == "switch"',
            min_count=8,
            window_minutes=10,
            mode="on",
            via="seed",
        )
        grouping.save_rule(
            by=lead,
            name="same words, no unit named",
            description="Tried in shadow before anyone trusts it: cases naming no unit, in similar words.",
            condition="case.units == 0 && !case.from_monitoring",
            group_by="words",
            min_count=6,
            window_minutes=20,
            mode="shadow",
            via="seed",
        )
    with clock.frozen_at(now - 64 * MINUTE):
        changes.record_change(
            kind="configuration",
            summary="Relay access lists regenerated from the new template",
            targets=["smtp-2"],
            changed_by="deploy-bot, for Sven Olsen's merge request",
            tool="ansible",
            link="https://git.northwind.example/mail/relay/-/merge_requests/77",
            external_id="ansible-run-4471",
            via="seed",
        )


def relay_incident(now: datetime.datetime, renee_case) -> Incident:
    """S3: the burst of contacts behind smtp-2 opened the incident by itself (rule 'relay bursts') and told
    all forty clients; the relay's alert joins it; a lead links Renee's own case (her account has no unit
    on the relay) and posts what was found."""
    start = now - 58 * MINUTE
    post_alert(
        now - 48 * MINUTE,
        name="RelayRejecting",
        status="firing",
        starts=start,
        key='{}:{alertname="RelayRejecting"}',
        instance="smtp-2",
    )
    incident = Incident.objects.filter(components__name="smtp-2").latest("started_at")
    lead = Agent.objects.get(user__username="priya")
    with clock.frozen_at(now - 45 * MINUTE):
        running.link_case(incident, renee_case, by=lead, via="web")
        running.post_update(
            incident,
            state="identified",
            body="A configuration change an hour ago removed our customers' networks from smtp-2's relay "
            "list, so it answers '550 relay denied'. We are rolling it back now; nothing is needed on your "
            "side.",
            by=lead,
        )
    _run_ladders(now - 44 * MINUTE)  # the first rung of every notice goes out
    renee = next(
        iter(
            n
            for n in notifications.Notification.objects.filter(
                subject_kind="incident", subject_id=str(incident.pk), person__isnull=False
            )
        ),
        None,
    )
    if renee is not None:
        with clock.frozen_at(now - 40 * MINUTE):
            notifications.acknowledge(renee, via="link", who=str(renee.person))
    return incident


def planned_work(now: datetime.datetime):
    """A kernel upgrade on web-12 in three days: announced to every customer with a site on it."""
    lead = Agent.objects.get(user__username="priya")
    start = (now + datetime.timedelta(days=3)).replace(hour=1, minute=0, second=0, microsecond=0)
    with clock.frozen_at(now - datetime.timedelta(hours=2)):
        return maintenance.schedule(
            title="Kernel upgrade on web-12",
            body="Sites on web-12 restart once and are unavailable for up to five minutes.",
            impact="OUTAGE",
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=30),
            components=[Component.objects.get(name="web-12")],
            by=lead,
        )
