"""Problems and contacts derived from cases, messages and events, a chunk of problems at a time.

`derive(root_ids)` reads everything the chunk's problems need in a handful of queries (their cases with the
cases merged into them, their messages, status events, incidents and notices, actions of ours on the
customer's services, people's corrections) and answers unsaved `Problem` and `Contact` rows. It writes
nothing: refresh.py replaces the chunk's rows with these in one transaction.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

import cel
from django.db.models.functions import Substr

from frontline.agents.models import Agent
from frontline.cases.events import FIX_CONFIRMED, FIX_UNCONFIRMED
from frontline.cases.models import Case, CaseStatus, Direction, Message
from frontline.customers.models import Customer, Standing
from frontline.events.models import CUSTOMER_ACTIONS, Event, EventKind
from frontline.incidents.models import Affected, ProactiveCase
from frontline.measures import learned
from frontline.measures.models import Contact, Correction, DemandRule, Outcome, Problem
from frontline.notifications.models import Notification, SubjectKind
from frontline.policy import expressions

ACTION_WINDOW = datetime.timedelta(days=30)  # how far back an action of ours is looked for
WORDS = 2000  # the customer's words a rule sees
_FIXED = {CaseStatus.RESOLVED, CaseStatus.CLOSED}


def monday(day: datetime.date) -> datetime.date:
    """The Monday of the week a day (or a moment) falls in."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    return day - datetime.timedelta(days=day.weekday())


def is_customer_contact(channel: str, sender: str) -> bool:
    """An inbound message the customer sent. Not: a case monitoring opened, or the cleanup case our own
    rules opened (its opening is written by the policy, on the API channel)."""
    return channel != "monitoring" and not (channel == "api" and sender == "policy")


@dataclass
class Rules:
    """The enabled demand rules, compiled once per refresh."""

    compiled: list[tuple[DemandRule, object]] = field(default_factory=list)
    words_model: object = None  # learned.py: where no rule fires, the words may still name a failure

    @classmethod
    def load(cls) -> "Rules":
        enabled = DemandRule.objects.filter(enabled=True).order_by("position", "pk")
        compiled = [(rule, expressions.compile_condition(rule.condition)) for rule in enabled]
        return cls(compiled, learned.current())

    def classify(self, context: dict) -> DemandRule | None:
        """The first rule whose condition holds. A rule that fails to evaluate is passed over."""
        binding = cel.Context({"contact": context})
        for rule, program in self.compiled:
            try:
                if program.execute(binding) is True:
                    return rule
            except Exception:
                continue
        return None


def members_of(root_ids: list[int]) -> dict[int, int]:
    """Case id -> root id, for the roots and every case merged into them (at any depth)."""
    root_of = {pk: pk for pk in root_ids}
    frontier = list(root_ids)
    while frontier:
        below = list(Case.objects.filter(merged_into__in=frontier).values_list("pk", "merged_into"))
        frontier = []
        for pk, parent in below:
            if pk not in root_of:
                root_of[pk] = root_of[parent]
                frontier.append(pk)
    return root_of


def actions_on(customer_ids: list[int]):
    """(customer id, when) of our actions on these customers' units, read from those events' own index and
    not from every event of these customers."""
    return Event.objects.filter(kind=CUSTOMER_ACTIONS, customer_id__in=customer_ids).values_list(
        "customer_id", "at"
    )


def derive(root_ids: list[int], rules: Rules) -> tuple[list[Problem], list[Contact]]:
    root_of = members_of(root_ids)
    cases = {
        row["pk"]: row
        for row in Case.objects.filter(pk__in=list(root_of)).values(
            "pk",
            "customer_id",
            "topic_id",
            "topic__slug",
            "assignee_id",
            "problem_started_at",
            "created_at",
            "status",
            "resolved_at",
            "closed_at",
            "reopen_count",
            "repeat_of_id",
            "merged_into_id",
        )
    }
    customers = {
        row["pk"]: row
        for row in Customer.objects.filter(pk__in={c["customer_id"] for c in cases.values()}).values(
            "pk", "tier", "standing"
        )
    }
    teams = dict(
        Agent.objects.filter(pk__in={c["assignee_id"] for c in cases.values()} - {None}).values_list(
            "pk", "team_id"
        )
    )
    messages = defaultdict(list)  # root -> [row], in time order
    for row in (
        Message.objects.filter(case_id__in=list(root_of))
        .annotate(words=Substr("body_text", 1, WORDS))
        .values("pk", "case_id", "direction", "channel", "sender", "created_at", "is_chaser", "words")
        .order_by("created_at", "pk")
    ):
        messages[root_of[row["case_id"]]].append(row)
    # root -> [(at, kind, data)] of the root case itself, in time order: a case merged into it was closed by
    # the merge, which fixed nothing.
    statuses = defaultdict(list)
    kinds = [EventKind.STATUS_CHANGED, FIX_CONFIRMED, FIX_UNCONFIRMED]
    for case_id, kind, at, data in (
        Event.objects.filter(case_id__in=root_ids, kind__in=kinds)
        .order_by("at", "pk")
        .values_list("case_id", "kind", "at", "data")
    ):
        statuses[case_id].append((at, kind, data))
    proactive = set(
        root_of[pk]
        for pk in ProactiveCase.objects.filter(case_id__in=list(root_of)).values_list("case_id", flat=True)
    )
    told_about_case = defaultdict(list)
    for case_id, at in Notification.objects.filter(case_id__in=list(root_of)).values_list(
        "case_id", "created_at"
    ):
        told_about_case[root_of[case_id]].append(at)
    customer_ids = list(customers)
    incidents = _incidents(customer_ids)
    actions = defaultdict(list)
    for customer_id, at in actions_on(customer_ids):
        actions[customer_id].append(at)
    message_ids = [m["pk"] for rows in messages.values() for m in rows]
    corrections = dict(
        Correction.objects.filter(message_id__in=message_ids).values_list("message_id", "failure_type")
    )

    members_by_root = defaultdict(list)
    for pk, root in root_of.items():
        members_by_root[root].append(pk)
    problems, contacts = [], []
    unsure = []  # (contact, its words, its problem): no rule fired and no person said
    for root in root_ids:
        case = cases.get(root)
        if case is None or case["merged_into_id"] is not None:
            continue
        customer = customers[case["customer_id"]]
        if customer["standing"] != Standing.CUSTOMER:
            continue  # a sender nobody has matched to an account is not yet a customer's problem
        members = [cases[pk] for pk in members_by_root[root] if pk in cases]
        problem = _problem(case, customer, members, statuses[root], teams)
        inbound = [
            m
            for m in messages[root]
            if m["direction"] == Direction.INBOUND and is_customer_contact(m["channel"], m["sender"])
        ]
        first_inbound = inbound[0]["created_at"] if inbound else None
        # Proactive: monitoring opened it, or we wrote first, or we told them before their first contact.
        we_wrote_first = bool(messages[root]) and (not inbound or messages[root][0] is not inbound[0])
        problem.proactive = (
            root in proactive
            or we_wrote_first
            or any(first_inbound is None or at < first_inbound for at in told_about_case[root])
        )
        fixed_at = _fixed_times(statuses[root])
        mine = []
        for m in inbound:
            context = {
                "channel": m["channel"],
                "words": (m["words"] or "").lower(),
                "opens_problem": m is inbound[0] and not problem.proactive,
                "chaser": m["is_chaser"],
                "after_fix": _was_fixed(fixed_at, m["created_at"]),
                "repeat": m is inbound[0] and any(c["repeat_of_id"] for c in members),
                "incident_before_notice": _before_notice(
                    incidents.get(case["customer_id"], ()), m["created_at"]
                ),
                "action_days": _days_since(actions.get(case["customer_id"], ()), m["created_at"]),
                "tier": customer["tier"] or "",
                "topic": case["topic__slug"] or "",
            }
            rule = rules.classify(context)
            said = rule.failure_type if rule else ""
            failure = corrections.get(m["pk"], said)
            mine.append(
                contact := Contact(
                    message_id=m["pk"],
                    problem_id=root,
                    customer_id=case["customer_id"],
                    at=m["created_at"],
                    channel=m["channel"],
                    failure_type=failure,
                    rule_id=rule.pk if rule else None,
                    rules_said=said,
                    corrected=m["pk"] in corrections,
                    week=monday(m["created_at"]),
                )
            )
            if rule is None and m["pk"] not in corrections:
                unsure.append((contact, context["words"], problem))
        problem.contacts = len(inbound)
        contacts.extend(mine)
        problem.failure_contacts = sum(1 for c in mine if c.failure_type)
        problem.first_contact = (
            problem.outcome != Outcome.OPEN and problem.contacts <= 1 and not problem.reopened
        )
        problems.append(problem)
    if rules.words_model is not None and unsure:
        named = learned.failures(rules.words_model, [words for _, words, _ in unsure])
        for (contact, _, problem), failure in zip(unsure, named, strict=True):
            if failure:
                contact.failure_type = contact.rules_said = failure
                contact.by_words = True
                problem.failure_contacts += 1
    return problems, contacts


def _problem(case: dict, customer: dict, members: list[dict], statuses: list, teams: dict) -> Problem:
    started = min(c["problem_started_at"] for c in members)
    outcome, finished = Outcome.OPEN, None
    if case["status"] in _FIXED:
        confirmed = [
            at for at, kind, data in statuses if kind == FIX_CONFIRMED and data.get("answer") == "yes"
        ]
        unconfirmed = [at for at, kind, _ in statuses if kind == FIX_UNCONFIRMED]
        if confirmed:
            outcome, finished = Outcome.CONFIRMED, confirmed[-1]
        elif unconfirmed and case["status"] == CaseStatus.CLOSED:
            # Counted apart: the time we waited for an answer is not the customer's; the fix was the end.
            outcome, finished = Outcome.UNCONFIRMED, case["resolved_at"] or unconfirmed[-1]
        elif case["status"] == CaseStatus.CLOSED:
            outcome, finished = Outcome.CLOSED, case["resolved_at"] or case["closed_at"]
        # resolved and not yet confirmed: still open on the customer's side of the counter
    minutes = (finished - started).total_seconds() / 60 if finished else None
    return Problem(
        case_id=case["pk"],
        customer_id=case["customer_id"],
        tier=customer["tier"] or "",
        topic_id=case["topic_id"],
        agent_id=case["assignee_id"],
        team_id=teams.get(case["assignee_id"]),
        started_at=started,
        finished_at=finished,
        outcome=outcome,
        minutes=round(max(minutes, 0.0), 2) if minutes is not None else None,
        reopened=any(c["reopen_count"] for c in members),
        week=monday(finished) if finished else None,
    )


def _fixed_times(statuses: list) -> list[tuple[datetime.datetime, bool]]:
    """(at, fixed) each time the problem's status moved: fixed while resolved or closed."""
    return [
        (at, data.get("status") in _FIXED) for at, kind, data in statuses if kind == EventKind.STATUS_CHANGED
    ]


def _was_fixed(moves: list, at: datetime.datetime) -> bool:
    fixed = False
    for moved_at, now_fixed in moves:
        if moved_at >= at:
            break
        fixed = now_fixed
    return fixed


def _incidents(customer_ids: list[int]) -> dict[int, list[tuple]]:
    """customer -> [(started, resolved or None, first notice to them or None)] of incidents reaching them."""
    reached = defaultdict(list)
    rows = Affected.objects.filter(customer_id__in=customer_ids).values_list(
        "customer_id", "incident_id", "incident__started_at", "incident__resolved_at"
    )
    rows = list(rows)
    if not rows:
        return reached
    notices = {}
    for customer_id, subject_id, at in (
        Notification.objects.filter(
            subject_kind=SubjectKind.INCIDENT,
            customer_id__in={r[0] for r in rows},
            subject_id__in={str(r[1]) for r in rows},
        )
        .order_by("created_at")
        .values_list("customer_id", "subject_id", "created_at")
    ):
        notices.setdefault((customer_id, subject_id), at)
    for customer_id, incident_id, started, resolved in rows:
        reached[customer_id].append((started, resolved, notices.get((customer_id, str(incident_id)))))
    return reached


def _before_notice(incidents, at: datetime.datetime) -> bool:
    return any(
        started <= at and (resolved is None or at <= resolved) and (told is None or at < told)
        for started, resolved, told in incidents
    )


def _days_since(actions, at: datetime.datetime) -> int:
    past = [a for a in actions if a <= at and at - a <= ACTION_WINDOW]
    return (at - max(past)).days if past else -1
