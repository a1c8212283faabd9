"""The figures the measures page, the API and `frontline measures` show, read from the pre-aggregates.

Every figure is about customers' outcomes: how long a problem lasted for them, how often they had to get in
touch, how much of that was caused by us. Nothing counts an agent's activity.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, OuterRef, Q, Sum

from frontline.agents.models import Agent, Skill, Team
from frontline.cases.models import Message
from frontline.customers.models import Customer, Tier
from frontline.incidents.models import Affected
from frontline.measures.models import Contact, FailureType, Outcome, Problem
from frontline.notifications.models import Notification, NotificationStatus
from frontline.policy.models import Override, OverrideKind

SLICES = ("topic", "team", "agent", "tier", "customer")
MEASURES = {
    # name: (title, unit)
    "end_to_end": ("End-to-end time per problem", "hours"),
    "contacts": ("Contacts per problem", "contacts"),
    "failure_share": ("Failure demand share", "%"),
}
FINISHED = (Outcome.CONFIRMED, Outcome.CLOSED)  # unconfirmed problems are counted apart
PERCENTILES = (50, 75, 90, 95)


@dataclass(frozen=True)
class Slice:
    """Which problems: all of them, or one topic, team, agent, tier or customer's."""

    by: str = ""
    value: str = ""

    def __post_init__(self):
        if self.by and self.by not in SLICES:
            raise ValueError(f"by: one of {', '.join(SLICES)}")

    @property
    def key(self) -> str:
        return f"{self.by}={self.value}" if self.by else "all"

    def problems(self, prefix: str = "") -> Q:
        if not self.by:
            return Q()
        field = {
            "topic": "topic__slug",
            "team": "team_id",
            "agent": "agent_id",
            "tier": "tier",
            "customer": "customer_id",
        }[self.by]
        value = self.value if self.by in ("topic", "tier") else _number(self.value)
        return Q(**{prefix + field: value})

    def title(self) -> str:
        if not self.by:
            return "All customers"
        names = {
            "topic": lambda v: Skill.objects.filter(slug=v).values_list("name", flat=True).first(),
            "team": lambda v: Team.objects.filter(pk=_number(v)).values_list("name", flat=True).first(),
            "agent": lambda v: (
                Agent.objects.filter(pk=_number(v)).values_list("display_name", flat=True).first()
            ),
            "tier": lambda v: dict(Tier.choices).get(v),
            "customer": lambda v: (
                Customer.objects.filter(pk=_number(v)).values_list("name", flat=True).first()
            ),
        }
        return f"{self.by.title()}: {names[self.by](self.value) or self.value}"


def _number(value: str) -> int:
    return int(value) if str(value).isascii() and str(value).isdigit() and len(str(value)) < 19 else -1


def weekly(
    measure: str, where: Slice, since: datetime.date
) -> tuple[list[datetime.date], list[float], list[int]]:
    """(weeks, values, how many problems or contacts each week's value is over), weeks with none left out."""
    if measure == "failure_share":
        rows = (
            Contact.objects.filter(where.problems("problem__"), week__gte=since)
            .values("week")
            .annotate(n=Count("pk"), failed=Count("pk", filter=~Q(failure_type="")))
            .order_by("week")
        )
        found = [(r["week"], 100.0 * r["failed"] / r["n"], r["n"]) for r in rows if r["n"]]
    else:
        rows = Problem.objects.filter(where.problems(), week__gte=since, outcome__in=FINISHED)
        value = Avg("minutes") if measure == "end_to_end" else Avg("contacts")
        rows = rows.values("week").annotate(v=value, n=Count("pk")).order_by("week")
        scale = 60.0 if measure == "end_to_end" else 1.0
        found = [(r["week"], (r["v"] or 0.0) / scale, r["n"]) for r in rows]
    return [w for w, _, _ in found], [round(v, 2) for _, v, _ in found], [n for _, _, n in found]


def summary(where: Slice, since: datetime.date) -> dict:
    """The span's headline figures for these problems (finished from `since`), and their contacts."""
    problems = Problem.objects.filter(where.problems(), week__gte=since)
    totals = problems.aggregate(
        finished=Count("pk", filter=Q(outcome__in=FINISHED)),
        unconfirmed=Count("pk", filter=Q(outcome=Outcome.UNCONFIRMED)),
        contacts=Sum("contacts", filter=Q(outcome__in=FINISHED)),
        first_contact=Count("pk", filter=Q(first_contact=True, outcome__in=FINISHED)),
        reopened=Count("pk", filter=Q(reopened=True)),
        proactive=Count("pk", filter=Q(proactive=True)),
        all=Count("pk"),
    )
    contacts = Contact.objects.filter(where.problems("problem__"), week__gte=since)
    by_type = dict(
        contacts.exclude(failure_type="").values_list("failure_type").annotate(n=Count("pk")).order_by()
    )
    contact_count = contacts.count()
    failed = sum(by_type.values())
    finished = totals["finished"]
    return {
        "problems_finished": finished,
        "unconfirmed": totals["unconfirmed"],
        "still_open": Problem.objects.filter(where.problems(), outcome=Outcome.OPEN).count(),
        "end_to_end_hours": {f"p{q}": hours for q, hours in percentiles(where, since).items()},
        "contacts_per_problem": round((totals["contacts"] or 0) / finished, 2) if finished else None,
        "contacts": contact_count,
        "failure_share": round(100.0 * failed / contact_count, 1) if contact_count else None,
        "failure_by_type": {label: by_type.get(value, 0) for value, label in FailureType.choices},
        "first_contact_resolution": _share(totals["first_contact"], finished),
        "reopen_rate": _share(totals["reopened"], totals["all"]),
        "proactive_share": _share(totals["proactive"], totals["all"]),
    }


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def percentiles(where: Slice, since: datetime.date) -> dict[int, float]:
    """End-to-end hours at each percentile, by the nearest-rank method: one sorted read per percentile."""
    finished = Problem.objects.filter(where.problems(), week__gte=since, outcome__in=FINISHED)
    n = finished.count()
    if not n:
        return {}
    ordered = finished.order_by("minutes").values_list("minutes", flat=True)
    found = {}
    for q in PERCENTILES:
        rank = max(1, -(-q * n // 100))  # the smallest value with at least q% of values at or below it
        found[q] = round(ordered[rank - 1] / 60.0, 1)
    return found


def provider_figures(since: datetime.date) -> dict:
    """What is the provider's as a whole: notices' reach, incidents' cost to customers, rules overridden,
    goodwill given, and the saved replies followed by failure demand."""
    start = datetime.datetime.combine(since, datetime.time(), tzinfo=datetime.UTC)
    notices = Notification.objects.filter(created_at__gte=start)
    reach = notices.aggregate(
        started=Count("pk"),
        acknowledged=Count("pk", filter=Q(status=NotificationStatus.ACKNOWLEDGED)),
        unanswered=Count("pk", filter=Q(status=NotificationStatus.EXHAUSTED)),
    )
    waits = sorted(
        (ack - created).total_seconds() / 60
        for created, ack in notices.filter(acknowledged_at__isnull=False).values_list(
            "created_at", "acknowledged_at"
        )
    )
    by_channel = dict(
        notices.filter(status=NotificationStatus.ACKNOWLEDGED)
        .values_list("acknowledged_via")
        .annotate(n=Count("pk"))
        .order_by()
    )
    lost = 0.0
    for started, resolved in Affected.objects.filter(
        Q(incident__resolved_at__gte=start) | Q(incident__resolved_at__isnull=True)
    ).values_list("incident__started_at", "incident__resolved_at"):
        if resolved is not None:
            lost += max(0.0, (resolved - max(started, start)).total_seconds() / 60)
    overrides = dict(
        Override.objects.filter(created_at__gte=start).values_list("kind").annotate(n=Count("pk")).order_by()
    )
    return {
        "notices_started": reach["started"],
        "notices_acknowledged_share": _share(reach["acknowledged"], reach["started"]),
        "notices_unanswered": reach["unanswered"],
        "minutes_to_acknowledge_p50": round(waits[len(waits) // 2], 1) if waits else None,
        "acknowledged_by_channel": by_channel,
        "customer_minutes_lost_to_incidents": round(lost),
        "rules_overridden": sum(n for kind, n in overrides.items() if kind != OverrideKind.GOODWILL),
        "goodwill_given": overrides.get(OverrideKind.GOODWILL, 0),
        "saved_replies": saved_replies_followed(start),
    }


def saved_replies_followed(start: datetime.datetime) -> list[dict]:
    """Per saved reply used since `start`: uses, and how many were followed by failure demand on the same
    problem within 7 days (the scripts that fail customers)."""
    failed_after = Contact.objects.filter(
        message__case=OuterRef("case"),
        at__gt=OuterRef("created_at"),
        at__lte=OuterRef("created_at") + datetime.timedelta(days=7),
    ).exclude(failure_type="")
    rows = (
        Message.objects.filter(origin__startswith="saved:", created_at__gte=start)
        .annotate(failed=Exists(failed_after))
        .values_list("origin", "failed")
    )
    tally: dict[str, list[int]] = {}
    for origin, failed in rows:
        counts = tally.setdefault(origin, [0, 0])
        counts[0] += 1
        counts[1] += failed
    return [
        {"origin": origin, "uses": uses, "followed_by_failure": failed}
        for origin, (uses, failed) in sorted(tally.items(), key=lambda item: -item[1][1])
    ]


def rules_agreement() -> dict:
    """How often the rules said what the people who corrected a contact said."""
    corrected = Contact.objects.filter(corrected=True)
    total = corrected.count()
    agreed = sum(1 for said, now in corrected.values_list("rules_said", "failure_type") if said == now)
    return {"corrected": total, "rules_agreed": agreed, "agreement": _share(agreed, total)}
