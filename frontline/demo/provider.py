"""Northwind Hosting & Access: the demo provider, its staff, its customers and months of history."""

import datetime
import multiprocessing
import os
import random
from dataclasses import dataclass

from django.db import connection, transaction

from frontline.agents import services as agents
from frontline.agents.models import Agent, Role, Skill, Team
from frontline.cases.models import Case, Message
from frontline.cases.services import refresh_open_priorities
from frontline.core import clock
from frontline.customers.models import ContactPoint, Customer, Membership, Person, ServiceUnit
from frontline.demo import texts
from frontline.demo.bulk import CaseContext, add_case, add_customer
from frontline.demo.names import BUSINESS, FIRST, LAST, SUFFIX, TLDS
from frontline.demo.plans import CasePlan, ContactPlan, CustomerPlan, PersonPlan, Step, UnitPlan
from frontline.demo.writer import Batch, BulkWriter, indexes_deferred, write

DEMO_PASSWORD = "northwind-demo"

# username, name, role, team, {skill: level}
STAFF = [
    ("admin", "Ada Admin", Role.ADMIN, "Service desk", {}),
    ("priya", "Priya Raman", Role.TEAM_LEAD, "Hosting", {"web-hosting": 5, "performance": 4, "ssl": 3}),
    ("tom", "Tom Becker", Role.AGENT, "Hosting", {"web-hosting": 4, "ssl": 4, "dns": 2}),
    ("lena", "Lena Fischer", Role.AGENT, "Hosting", {"web-hosting": 3, "performance": 5}),
    ("marco", "Marco Rossi", Role.AGENT, "Hosting", {"dns": 5, "ssl": 3, "email-delivery": 2}),
    ("aisha", "Aisha Bello", Role.AGENT, "Hosting", {"email-delivery": 5, "dns": 3}),
    ("sven", "Sven Olsen", Role.AGENT, "Hosting", {"email-delivery": 4, "web-hosting": 2}),
    ("kenji", "Kenji Sato", Role.TEAM_LEAD, "Network", {"network": 5, "abuse-security": 3}),
    ("fatima", "Fatima Haddad", Role.AGENT, "Network", {"network": 4}),
    ("owen", "Owen Price", Role.AGENT, "Network", {"network": 3, "abuse-security": 2}),
    ("nadia", "Nadia Kowalska", Role.POLICY_ADMIN, "Network", {"abuse-security": 5, "network": 2}),
    ("jo", "Jo Martins", Role.AGENT, "Service desk", {"billing": 5, "account-access": 4}),
    ("ravi", "Ravi Patel", Role.AGENT, "Service desk", {"account-access": 5, "billing": 3}),
    (
        "emma",
        "Emma Clarke",
        Role.TEAM_LEAD,
        "Service desk",
        {"billing": 4, "account-access": 3, "web-hosting": 2},
    ),
    ("luis", "Luis Ortega", Role.AGENT, "Service desk", {"web-hosting": 2, "dns": 2, "billing": 2}),
    ("hana", "Hana Novak", Role.AGENT, "Hosting", {"performance": 3, "web-hosting": 3, "abuse-security": 3}),
]
TEAMS = {
    "Hosting": ("Europe/London", "GB"),
    "Network": ("Europe/London", "GB"),
    "Service desk": ("Europe/London", "GB"),
}


@transaction.atomic
def create_staff() -> dict[str, Agent]:
    for slug, name in texts.SKILLS.items():
        Skill.objects.get_or_create(slug=slug, defaults={"name": name})
    teams = {
        name: Team.objects.get_or_create(name=name, defaults={"time_zone": tz, "holiday_country": country})[0]
        for name, (tz, country) in TEAMS.items()
    }
    staff = {}
    for username, name, role, team, skills in STAFF:
        existing = Agent.objects.filter(user__username=username).first()
        staff[username] = existing or agents.create_agent(
            username=username,
            display_name=name,
            email=f"{username}@northwind.example",
            password=DEMO_PASSWORD,
            role=role,
            team=teams[team],
            skills=skills,
            capacity=25,
        )
    return staff


PLAN_VALUES = {
    "starter": (4, 12),
    "business": (25, 90),
    "reseller": (120, 400),
    "fibre": (180, 900),
    "enterprise": (800, 4000),
}
TOPICS_BY_PLAN = {
    "fibre": ["network"] * 5 + ["abuse-security", "billing", "account-access"],
    "default": ["web-hosting"] * 4
    + ["dns"] * 2
    + ["email-delivery"] * 2
    + ["ssl", "performance", "performance", "billing", "account-access", "abuse-security"],
}


def _slug(name: str) -> str:
    return (
        "".join(ch for ch in name.lower().replace("&", "and") if ch.isalnum() or ch == " ")
        .strip()
        .replace(" ", "-")
    )


@dataclass
class DemoSizes:
    customers: int = 3000
    history_cases: int = 20000
    open_cases: int = 150
    months: int = 6


def customer_plans(
    rng: random.Random, count: int, now: datetime.datetime, start: int = 0
) -> list[CustomerPlan]:
    plans = []
    for i in range(start, start + count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        plan = rng.choices(list(PLAN_VALUES), weights=[50, 30, 6, 10, 4])[0]
        name = f"{last} {rng.choice(BUSINESS)} {rng.choice(SUFFIX)}".strip() + f" #{i + 1}"
        domain = f"{_slug(name.split(' #')[0])}-{i + 1}.{rng.choice(TLDS)}"
        since = datetime.date(rng.randint(1996, 2026), rng.randint(1, 12), rng.randint(1, 28))
        # Everyone has been a customer for a while, so that their cases never predate them (see seed()).
        since = min(since, now.date() - datetime.timedelta(days=200))
        low, high = PLAN_VALUES[plan]
        tier = (
            "critical" if plan == "enterprise" else rng.choices(["standard", "priority"], weights=[85, 15])[0]
        )
        contacts = [
            ContactPlan(
                "email",
                f"{first.lower()}@{domain}",
                "work",
                rng.choices(["verified", "unverified"], weights=[80, 20])[0],
            )
        ]
        if rng.random() < 0.7:
            contacts.append(
                ContactPlan(
                    "phone",
                    f"+44 7700 9{rng.randint(0, 99999):05d}",
                    "mobile",
                    rng.choices(["verified", "unverified"], weights=[60, 40])[0],
                )
            )
        people = [PersonPlan(f"{first} {last}", "owner", contacts)]
        if rng.random() < 0.3:
            other = rng.choice(FIRST)
            people.append(
                PersonPlan(
                    f"{other} {rng.choice(LAST)}",
                    rng.choice(["technical", "billing"]),
                    [ContactPlan("email", f"{other.lower()}.{i}@{domain}", "work", "verified")],
                )
            )
        account_contacts = []
        if rng.random() < 0.2:
            failing = rng.random() < 0.1
            account_contacts.append(
                ContactPlan(
                    "email",
                    f"ops@{domain}",
                    "ops mailbox",
                    "failing" if failing else "verified",
                    "550 5.1.1 mailbox unavailable" if failing else "",
                )
            )
        if plan == "fibre":
            third = rng.randint(1, 254)
            units = [
                UnitPlan(
                    "line",
                    f"FTTP-{10000 + i}",
                    hostname=f"cpe-{10000 + i}",
                    labels={"line": f"FTTP-{10000 + i}"},
                ),
                UnitPlan("port", f"port-{i % 48 + 1}", parent=0),
            ]
            units += [
                UnitPlan("host", f"198.51.{third}.{h}", parent=1, ip_address=f"198.51.{third}.{h}")
                for h in range(2, 2 + rng.randint(1, 4))
            ]
        else:
            server = f"web-{rng.randint(1, 24):02d}"
            units = [
                UnitPlan("account", f"acct-{i + 1}"),
                UnitPlan(
                    "site", domain, parent=0, hostname=server, labels={"site": domain, "instance": server}
                ),
                UnitPlan("domain", domain, parent=0),
                UnitPlan("mailbox", f"info@{domain}", parent=0, hostname=f"mx-{rng.randint(1, 4)}"),
            ]
            for extra in range(rng.randint(0, 2) if plan != "reseller" else rng.randint(5, 15)):
                site = f"site{extra + 2}.{domain}"
                units.append(
                    UnitPlan(
                        "site", site, parent=0, hostname=server, labels={"site": site, "instance": server}
                    )
                )
        created = datetime.datetime.combine(since, datetime.time(9), tzinfo=datetime.UTC)
        plans.append(
            CustomerPlan(
                name=name,
                plan=plan,
                tier=tier,
                customer_since=since,
                monthly_value=f"{rng.uniform(low, high):.2f}",
                created_at=min(created, now),
                people=people,
                account_contacts=account_contacts,
                units=units,
            )
        )
    return plans


@dataclass
class SeededCustomer:
    id: int
    plan: str
    domain: str
    person_id: int
    sender: str
    person_name: str
    unit_ids: list[int]
    created_at: datetime.datetime


def write_customers(writer: BulkWriter, plans: list[CustomerPlan]) -> tuple[list[SeededCustomer], dict, dict]:
    seeded, tiers, emails = [], {}, {}
    for plan in plans:
        info = add_customer(writer, plan)
        tiers[info["id"]] = (plan.tier, plan.plan)
        person_id = info["people"][0][0]
        for pid, person_contacts in info["people"]:
            emails[pid] = [
                (state, pk, value) for state, pk, kind, value in person_contacts if kind == "email"
            ]
        domain = plan.units[1].name if len(plan.units) > 1 else plan.units[0].name
        seeded.append(
            SeededCustomer(
                info["id"],
                plan.plan,
                domain,
                person_id,
                emails[person_id][0][2],
                plan.people[0].name,
                info["units"],
                plan.created_at,
            )
        )
    return seeded, tiers, emails


# Bags to draw from, weighted by repetition (a draw from a list is several times cheaper than choices()).
SERVICE_IMPACTS = ["down"] * 3 + ["degraded"] * 4 + ["question"] * 3
ACCOUNT_IMPACTS = ["degraded"] + ["question"] * 9
CHANNELS = ["email"] * 6 + ["web"] * 2 + ["phone", "chat"]


PROACTIVE_WEEKS = 10  # the demo's web-hosting customers have been told of outages first for this long


class HistoryPlanner:
    """Cases as they happen at a provider: opened, taken by someone with the skill, answered, resolved,
    sometimes chased, sometimes reopened; most closed, the last few still open."""

    def __init__(
        self,
        rng: random.Random,
        staff: list[tuple[int, dict[str, int]]],
        now: datetime.datetime,
        *,
        full_history: bool = True,
    ):
        # Without full history a finished case is just taken and closed with its resolution: what a
        # scale benchmark needs (cases, first messages, events) at a fraction of the rows.
        self.rng, self.now, self.full_history = rng, now, full_history
        # Who takes a topic's cases, as a bag to draw from: an agent at level n is in it n*n times, so
        # experts take more of their topic's cases, which is what routing will learn from later.
        self.takers: dict[str, list[int]] = {}
        for agent_id, skills in staff:
            for slug, level in skills.items():
                self.takers.setdefault(slug, []).extend([agent_id] * level**2)

    def _found_out_first(self, topic: str, impact: str, opened_at: datetime.datetime) -> bool:
        """The demo's improvement: until PROACTIVE_WEEKS ago, half of the web-hosting customers whose site
        broke chased us before we answered, not knowing we knew; since then monitoring tells them first and
        hardly anyone has to. The measures page shows the failure demand falling, with a signal."""
        if topic != "web-hosting" or impact == "question":
            return False
        since = self.now - datetime.timedelta(weeks=PROACTIVE_WEEKS)
        return self.rng.random() < (0.5 if opened_at < since else 0.04)

    def _agent_for(self, topic: str) -> int:
        return self.rng.choice(self.takers[topic])

    def plan(self, customer: SeededCustomer, opened_at: datetime.datetime, *, open_now: bool) -> CasePlan:
        rng = self.rng
        topics = TOPICS_BY_PLAN["fibre" if customer.plan == "fibre" else "default"]
        topic = rng.choice(topics)
        text = texts.compose(
            topic,
            rng,
            {"domain": customer.domain, "person": customer.person_name, "plan": customer.plan.title()},
        )
        impact = rng.choice(ACCOUNT_IMPACTS if topic in ("billing", "account-access") else SERVICE_IMPACTS)
        if open_now and impact != "question":
            # A backlog holds old questions, but an outage still open after days would be a story of its own:
            # the open problems of the demo are recent and degraded; the outages are the five stories'.
            impact = "degraded"
            opened_at = max(opened_at, self.now - datetime.timedelta(hours=rng.uniform(0.5, 30)))
        # The customer's clock starts before they write: minutes to a day earlier.
        started = opened_at - datetime.timedelta(minutes=rng.choice([0, 5, 20, 60, 180, 600, 1440]))
        agent = self._agent_for(topic)
        channel = rng.choice(CHANNELS)
        # The customer's site: what a problem with the service is about, and what any case whose words
        # name the domain is about (live intake attaches the units a message names; history says so).
        names_site = customer.domain.lower() in f"{text.subject}\n{text.body}".lower()
        units = (
            [customer.unit_ids[1]]
            if (impact != "question" or names_site) and len(customer.unit_ids) > 1
            else []
        )
        steps: list[Step] = []
        t = opened_at + datetime.timedelta(minutes=rng.randint(2, 240))

        def later(lo, hi):
            nonlocal t
            t = t + datetime.timedelta(minutes=rng.randint(lo, hi))
            return t

        if open_now:
            if rng.random() < 0.6:
                steps.append(Step(t, "assign", agent))
                if rng.random() < 0.5:
                    steps.append(Step(later(1, 60), "reply", agent, body=texts.reply(rng)))
            if rng.random() < 0.3:
                steps.append(
                    Step(later(30, 300), "customer_message", body=texts.chaser(rng), channel=channel)
                )
            steps = [s for s in steps if s.at < self.now]
        elif not self.full_history:
            steps = [
                Step(t, "assign", agent),
                Step(later(10, 2000), "status", agent, status="closed", notes=text.resolution),
            ]
        else:
            steps.append(Step(t, "assign", agent))
            if self._found_out_first(topic, impact, opened_at):
                # The customer's site broke and nobody told them: they chase us before our first answer.
                steps.append(
                    Step(later(600, 1800), "customer_message", body=texts.chaser(rng), channel=channel)
                )
            steps.append(Step(later(1, 90), "reply", agent, body=texts.reply(rng)))
            if rng.random() < 0.25:
                steps.append(Step(later(5, 600), "customer_message", body=texts.chaser(rng), channel=channel))
            if rng.random() < 0.2:
                steps.append(Step(later(5, 120), "note", agent, body="Checked logs; see resolution notes."))
            steps.append(Step(later(10, 2000), "status", agent, status="resolved", notes=text.resolution))
            if rng.random() < 0.08:
                steps.append(
                    Step(
                        later(60, 2880),
                        "customer_message",
                        body="Still broken. " + texts.chaser(rng),
                        channel=channel,
                    )
                )
                steps.append(
                    Step(
                        later(10, 600),
                        "status",
                        agent,
                        status="resolved",
                        notes=text.resolution + " Second fix: the first one did not hold.",
                    )
                )
            steps.append(Step(later(1440, 4320), "status", agent, status="closed"))
            steps = [s for s in steps if s.at < self.now]
        return CasePlan(
            customer=customer.id,
            requester=customer.person_id,
            sender=customer.sender,
            subject=text.subject,
            body=text.body,
            channel=channel,
            impact=impact,
            topic=topic,
            problem_started_at=started,
            opened_at=opened_at,
            units=units,
            steps=steps,
        )


def staff_skills() -> list[tuple[int, dict[str, int]]]:
    skills: dict[int, dict[str, int]] = {}
    for agent_id, slug, level in Agent.objects.values_list(
        "pk", "agentskill__skill__slug", "agentskill__level"
    ):
        if slug:
            skills.setdefault(agent_id, {})[slug] = level
    return list(skills.items())


def seed(
    *,
    customers: int,
    cases: int,
    open_share: float,
    months: int,
    seed: int = 1,
    chunk: int = 20000,
    now: datetime.datetime,
    full_history: bool = True,
    processes: int | None = None,
    progress=None,
) -> dict[str, int]:
    """Bulk-write `customers` customers and `cases` cases spread over `months` months before `now`."""
    create_staff()
    with indexes_deferred(enabled=cases >= BIG_SEED):
        return _seed(
            seed, customers, cases, open_share, months, chunk, now, full_history, processes, progress
        )


# From this many cases on, indexes are built once at the end instead of row by row (see indexes_deferred).
BIG_SEED = 50_000


# Ids each block reserves per row it makes, so that blocks made in parallel never collide: a customer has
# at most 20 units (a reseller's sites), 2 people, 2 memberships and 5 contact points; a case at most 6
# messages (first, reply, chaser, note, "still broken"). Events and unit links are numbered by the database.
IDS_PER_CUSTOMER = {Customer: 1, ServiceUnit: 20, Person: 2, Membership: 2, ContactPoint: 5}
IDS_PER_CASE = {Case: 1, Message: 6}


def _reserve(writer: BulkWriter, first_ids: dict, per_row: dict, block: int, block_size: int) -> dict:
    """Start the writer's ids at this block's reservation; return where each reservation ends."""
    limits = {}
    for model, per in per_row.items():
        writer.next_ids[model] = first_ids[model] + block * block_size * per
        limits[model] = writer.next_ids[model] + block_size * per
    return limits


def _check_reservation(writer: BulkWriter, limits: dict) -> None:
    for model, limit in limits.items():
        if writer.next_ids[model] > limit:
            raise RuntimeError(f"a seeded block made more {model.__name__} rows than its id reservation")


@dataclass
class CustomerBlocks:
    seed: int
    count: int
    now: datetime.datetime
    block_size: int
    first_ids: dict

    def make(self, block: int):
        rng = random.Random(
            f"{self.seed}:customers:{block}"
        )  # the same data whatever the number of processes
        writer = BulkWriter()
        limits = _reserve(writer, self.first_ids, IDS_PER_CUSTOMER, block, self.block_size)
        start = block * self.block_size
        plans = customer_plans(rng, min(self.block_size, self.count - start), self.now, start=start)
        made = write_customers(writer, plans)
        _check_reservation(writer, limits)
        return writer.prepare(), made


@dataclass
class CaseBlocks:
    seed: int
    seeded: list[SeededCustomer]
    context: CaseContext
    staff: list[tuple[int, dict[str, int]]]
    now: datetime.datetime
    count: int
    open_count: int
    span_seconds: float
    block_size: int
    full_history: bool
    first_ids: dict

    def make(self, block: int) -> Batch:
        rng = random.Random(f"{self.seed}:cases:{block}")
        planner = HistoryPlanner(rng, self.staff, self.now, full_history=self.full_history)
        writer = BulkWriter()
        limits = _reserve(writer, self.first_ids, IDS_PER_CASE, block, self.block_size)
        for i in range(block * self.block_size, min((block + 1) * self.block_size, self.count)):
            is_open = i >= self.count - self.open_count
            if is_open:  # open cases are recent: the last two weeks
                opened = self.now - datetime.timedelta(seconds=rng.uniform(600, 14 * 86400))
            else:
                opened = self.now - datetime.timedelta(seconds=rng.uniform(15 * 86400, self.span_seconds))
            customer = rng.choice(self.seeded)
            # Nobody writes to us before they are a customer.
            opened = max(opened, customer.created_at + datetime.timedelta(hours=1))
            add_case(writer, planner.plan(customer, opened, open_now=is_open), self.context)
        _check_reservation(writer, limits)
        return writer.prepare()


_job = None  # the blocks being made; forked processes inherit it rather than receive it pickled


def _make_block(block: int):
    return _job.make(block)


def _in_blocks(job, count: int, processes: int):
    """Each block's result, in order. Making rows is Python work and writing them the database's: with
    more than one block, forked processes make blocks while the caller writes the ones made."""
    global _job
    blocks = range((count + job.block_size - 1) // job.block_size)
    _job = job
    try:
        if len(blocks) > 1 and processes > 1:
            connection.close()  # the children never touch the database; none inherits a connection
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                yield from pool.imap(_make_block, blocks)
        else:
            for block in blocks:
                yield job.make(block)
    finally:
        _job = None


def _first_ids(models) -> dict:
    writer = BulkWriter()
    return {model: writer.new_id(model) for model in models}


def _seed(seed, customers, cases, open_share, months, chunk, now, full_history, processes, progress):
    processes = processes or min(2, os.cpu_count() or 1)
    totals: dict[str, int] = {}

    def add(counts):
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value

    seeded: list[SeededCustomer] = []
    tiers: dict = {}
    emails: dict = {}
    job = CustomerBlocks(seed, customers, now, chunk, _first_ids(IDS_PER_CUSTOMER))
    for batch, (part, part_tiers, part_emails) in _in_blocks(job, customers, processes):
        add(write(batch))
        seeded += part
        tiers.update(part_tiers)
        emails.update(part_emails)
        if progress:
            progress(f"customers: {len(seeded)}")
    job = CaseBlocks(
        seed=seed,
        seeded=seeded,
        context=CaseContext(service_levels=tiers, person_emails=emails),
        staff=staff_skills(),
        now=now,
        count=cases,
        open_count=int(cases * open_share),
        span_seconds=datetime.timedelta(days=30 * months).total_seconds(),
        block_size=chunk,
        full_history=full_history,
        first_ids=_first_ids(IDS_PER_CASE),
    )
    for done, batch in enumerate(_in_blocks(job, cases, processes), start=1):
        add(write(batch))
        if progress:
            progress(f"cases: {min(done * chunk, cases)}")
    # Scores depend on other cases (failures a customer suffered lately), so the open ones are scored once
    # all are written, by the function the periodic job runs. Finished cases carry no score.
    with clock.frozen_at(now):
        refresh_open_priorities()
    return totals


def give_verification_history(now) -> int:
    """A provider's contacts were asked and confirmed over the years; the demo's were all made today. Give
    them that past, spread by id, so that the daily re-verification cycle finds a few due each day rather
    than every never-confirmed point on the first morning: a confirmed point has had mail delivered within
    the last 300 days, an unconfirmed one was asked within the last month. Answers how many changed."""
    changed = []
    for point in ContactPoint.objects.filter(state__in=["verified", "unverified"]).only(
        "pk", "state", "verified_at", "last_delivery_ok_at", "verification_sent_at"
    ):
        if point.state == "verified" and point.last_delivery_ok_at is None:
            point.last_delivery_ok_at = now - datetime.timedelta(days=point.pk % 300)
        elif point.state == "unverified" and point.verification_sent_at is None:
            point.verification_sent_at = now - datetime.timedelta(days=point.pk % 30, hours=1)
        else:
            continue
        changed.append(point)
    ContactPoint.objects.bulk_update(
        changed, ["last_delivery_ok_at", "verification_sent_at"], batch_size=2000
    )
    return len(changed)
