"""The figures the measures page, the API and `frontline measures` show, read from the pre-aggregates.

Every figure is about customers' outcomes: how long a problem lasted for them, how often they had to get in
touch, how much of that was caused by us. Nothing counts an agent's activity.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from frontline.agents.models import Agent, Skill, Team
from frontline.cases.models import Message
from frontline.core import clock
from frontline.core.db import text_id
from frontline.customers.models import Customer, Tier
from frontline.incidents.models import Affected
from frontline.measures import cells
from frontline.measures.models import Contact, FailureType, Outcome, Problem, WeekFigure
from frontline.notifications.models import Notification, NotificationStatus
from frontline.policy.models import Override, OverrideKind
from frontline.saved_replies.models import SavedReply

SLICES = ("topic", "team", "agent", "tier", "customer")
MEASURES = {
    # name: (title, unit)
    "end_to_end": ("End-to-end time per problem", "hours"),
    "contacts": ("Contacts per problem", "contacts"),
    "failure_share": ("Failure demand share", "%"),
}
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
    found = text_id(value)
    return -1 if found is None else found  # -1: no row has it


def cells_for(where: Slice, since: datetime.date) -> list[WeekFigure]:
    """The slice's weekly sums from `since`: kept ones, or a customer's summed from their own rows."""
    if where.by == "customer":
        pk = _number(where.value)
        summed = cells.sums(
            Problem.objects.filter(customer_id=pk, week__gte=since),
            Contact.objects.filter(customer_id=pk, week__gte=since),
            {"customer": "customer_id"},
        )
        return sorted(summed.values(), key=lambda cell: cell.week)
    value = where.value
    if where.by == "topic":
        value = str(Skill.objects.filter(slug=value).values_list("pk", flat=True).first() or -1)
    elif where.by in ("team", "agent"):
        value = str(_number(value))
    return list(WeekFigure.objects.filter(by=where.by, value=value, week__gte=since).order_by("week"))


def weekly(
    measure: str, where: Slice, since: datetime.date
) -> tuple[list[datetime.date], list[float], list[int]]:
    """(weeks, values, how many problems or contacts each week's value is over), weeks with none left out."""
    found = []
    for cell in cells_for(where, since):
        if measure == "failure_share":
            if cell.contacts:
                found.append((cell.week, 100.0 * cell.failed / cell.contacts, cell.contacts))
        elif cell.finished:
            mean = cell.minutes / 60.0 if measure == "end_to_end" else cell.finished_contacts
            found.append((cell.week, mean / cell.finished, cell.finished))
    return [w for w, _, _ in found], [round(v, 2) for _, v, _ in found], [n for _, _, n in found]


def summary(where: Slice, since: datetime.date) -> dict:
    """The span's headline figures for these problems (ended from `since`), and their contacts."""
    weeks = cells_for(where, since)
    total = {name: sum(getattr(c, name) for c in weeks) for name in _SUMMED}
    by_type, histogram = {}, {}
    for cell in weeks:
        for kind, n in cell.by_type.items():
            by_type[kind] = by_type.get(kind, 0) + n
        for b, n in cell.histogram.items():
            histogram[b] = histogram.get(b, 0) + n
    finished = total["finished"]
    return {
        "problems_finished": finished,
        "unconfirmed": total["unconfirmed"],
        "still_open": Problem.objects.filter(where.problems(), outcome=Outcome.OPEN).count(),
        "end_to_end_hours": {
            f"p{q}": round(cells.percentile_of(histogram, q) / 60.0, 1) for q in PERCENTILES if histogram
        },
        "contacts_per_problem": round(total["finished_contacts"] / finished, 2) if finished else None,
        "contacts": total["contacts"],
        "failure_share": _share(total["failed"], total["contacts"]),
        "failure_by_type": {label: by_type.get(value, 0) for value, label in FailureType.choices},
        "first_contact_resolution": _share(total["first_contact"], finished),
        "reopen_rate": _share(total["reopened"], total["ended"]),
        "proactive_share": _share(total["proactive"], total["ended"]),
    }


_SUMMED = (
    "finished",
    "unconfirmed",
    "minutes",
    "finished_contacts",
    "first_contact",
    "ended",
    "reopened",
    "proactive",
    "contacts",
    "failed",
)


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def provider_figures(since: datetime.date) -> dict:
    """What is the provider's as a whole: notices' reach, incidents' cost to customers, rules overridden,
    goodwill given, and the saved replies followed by failure demand."""
    start = datetime.datetime.combine(since, datetime.time(), tzinfo=datetime.UTC)
    now = clock.now()
    notices = Notification.objects.filter(created_at__gte=start)
    reach = notices.aggregate(
        started=Count("pk"),
        acknowledged=Count("pk", filter=Q(status=NotificationStatus.ACKNOWLEDGED)),
        unanswered=Count("pk", filter=Q(status=NotificationStatus.EXHAUSTED)),
    )
    acknowledged = list(
        notices.filter(acknowledged_at__isnull=False).values_list(
            "created_at", "acknowledged_at", "acknowledged_via"
        )
    )
    waits = sorted((ack - created).total_seconds() / 60 for created, ack, _ in acknowledged)
    waits_by_channel: dict[str, list[float]] = {}
    for created, ack, via in acknowledged:
        waits_by_channel.setdefault(via or "unknown", []).append((ack - created).total_seconds() / 60)
    by_channel = dict(
        notices.filter(status=NotificationStatus.ACKNOWLEDGED)
        .values_list("acknowledged_via")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # A rung that ran moved next_step on: at the acknowledgement it counts the rungs it took.
    by_rung = dict(
        notices.filter(status=NotificationStatus.ACKNOWLEDGED)
        .values_list("next_step")
        .annotate(n=Count("pk"))
        .order_by("next_step")
    )
    lost = 0.0
    for started, resolved in Affected.objects.filter(
        Q(incident__resolved_at__gte=start) | Q(incident__resolved_at__isnull=True)
    ).values_list("incident__started_at", "incident__resolved_at"):
        # an incident still open costs its customers every minute until now
        lost += max(0.0, ((resolved or now) - max(started, start)).total_seconds() / 60)
    overrides = dict(
        Override.objects.filter(created_at__gte=start).values_list("kind").annotate(n=Count("pk")).order_by()
    )
    return {
        "notices_started": reach["started"],
        "notices_acknowledged_share": _share(reach["acknowledged"], reach["started"]),
        "notices_unanswered": reach["unanswered"],
        "minutes_to_acknowledge_p50": round(waits[len(waits) // 2], 1) if waits else None,
        "minutes_to_acknowledge_by_channel": {
            via: round(sorted(times)[len(times) // 2], 1) for via, times in sorted(waits_by_channel.items())
        },
        "acknowledged_by_channel": by_channel,
        "acknowledged_after_rungs": {str(rungs): n for rungs, n in by_rung.items()},
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
        # A range over the partial index of replies with an origin (LIKE would read every message).
        Message.objects.exclude(origin="")
        .filter(origin__gte="saved:", origin__lt="saved;", created_at__gte=start)
        .annotate(failed=Exists(failed_after))
        .values_list("origin", "failed")
    )
    tally: dict[str, list[int]] = {}
    for origin, failed in rows:
        counts = tally.setdefault(origin, [0, 0])
        counts[0] += 1
        counts[1] += failed
    titles = {
        reply.origin: reply.title
        for reply in SavedReply.objects.filter(pk__in=[_number(o.split(":", 1)[1]) for o in tally])
    }
    return [
        {"origin": origin, "title": titles.get(origin, origin), "uses": uses, "followed_by_failure": failed}
        for origin, (uses, failed) in sorted(tally.items(), key=lambda item: -item[1][1])
    ]


def rules_agreement() -> dict:
    """How often the rules said what the people who corrected a contact said."""
    corrected = Contact.objects.filter(corrected=True)
    total = corrected.count()
    agreed = sum(1 for said, now in corrected.values_list("rules_said", "failure_type") if said == now)
    return {"corrected": total, "rules_agreed": agreed, "agreement": _share(agreed, total)}


def slice_values(by: str) -> list[tuple[str, str]]:
    """(value, name) of every topic, team, agent or tier: the rows of a table by that slice."""
    if by == "topic":
        return list(Skill.objects.order_by("name").values_list("slug", "name"))
    if by == "team":
        return [(str(pk), name) for pk, name in Team.objects.order_by("name").values_list("pk", "name")]
    if by == "agent":
        agents = Agent.objects.order_by("display_name").values_list("pk", "display_name")
        return [(str(pk), name) for pk, name in agents]
    if by == "tier":
        return list(Tier.choices)
    raise ValueError("by: topic, team, agent or tier")


def table(by: str, since: datetime.date) -> list[dict]:
    """One row of headline figures per topic, team, agent or tier (or one row for all, by "")."""
    rows = []
    for value, name in slice_values(by) if by else [("", "All customers")]:
        found = summary(Slice(by, value) if by else Slice(), since)
        rows.append(
            {
                "by": by or "all",
                "value": value,
                "name": name,
                "problems": found["problems_finished"],
                "unconfirmed": found["unconfirmed"],
                "end_to_end_hours_p50": found["end_to_end_hours"].get("p50"),
                "end_to_end_hours_p90": found["end_to_end_hours"].get("p90"),
                "contacts_per_problem": found["contacts_per_problem"],
                "failure_share": found["failure_share"],
                "proactive_share": found["proactive_share"],
                "first_contact_resolution": found["first_contact_resolution"],
                "reopen_rate": found["reopen_rate"],
            }
        )
    return rows
