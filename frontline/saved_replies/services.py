"""Writing saved replies, filling one for a case, and how often customers came back after one.

"Came back" is failure demand within 7 days of the reply: the customer chased us (a chaser, cases/demand.py),
the case came back after we resolved it (a reopen), or the same problem came back as a new case (a repeat).
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef

from frontline.agents.models import Agent, Capability, Skill
from frontline.agents.services import require
from frontline.cases.models import Case, Direction, Message
from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.events.models import Event, EventKind
from frontline.saved_replies import events
from frontline.saved_replies.models import SavedReply

WINDOW = timedelta(days=7)
FIELD = re.compile(r"\{(\w+)\}")
FIELDS = ("first_name", "customer", "case", "subject", "units", "agent")


@transaction.atomic
def save_reply(
    *,
    title: str,
    body: str,
    topic: Skill | None = None,
    is_active: bool = True,
    reply: SavedReply | None = None,
    by: Agent,
    via: str = "web",
) -> SavedReply:
    """Write a new saved reply, or change `reply`. Team leads keep the team's replies."""
    require(by, Capability.ASSIGN_OTHERS)
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise ServiceError("a saved reply needs a title and a text", field="title" if not title else "body")
    clash = SavedReply.objects.filter(title__iexact=title).exclude(pk=reply.pk if reply else None)
    if clash.exists():
        raise ServiceError(f"there is a saved reply called {title!r} already", field="title")
    now = clock.now()
    created = reply is None
    reply = reply or SavedReply(created_at=now)
    reply.title, reply.body, reply.topic, reply.is_active = title[:120], body, topic, is_active
    reply.updated_at, reply.updated_by = now, by
    reply.save()
    events.saved_reply_changed(reply=reply, created=created, by=by, via=via)
    return reply


def case_fields(case: Case, agent: Agent) -> dict[str, str]:
    """The values a saved reply's fields take on this case, for this agent."""
    person = case.requester.name if case.requester_id else ""
    return {
        "first_name": person.split()[0] if person.split() else "",
        "customer": case.customer.name,
        "case": case.ref,
        "subject": case.subject,
        "units": ", ".join(case.affected_units.order_by("name").values_list("name", flat=True)),
        "agent": agent.display_name,
    }


def fill(reply: SavedReply, case: Case, agent: Agent, *, fields: dict[str, str] | None = None) -> str:
    """The reply's text with the case's fields filled in; an unknown field stays as written. `fields`:
    case_fields(case, agent), when the caller fills several replies."""
    values = fields if fields is not None else case_fields(case, agent)
    return FIELD.sub(lambda found: values.get(found.group(1), found.group(0)), reply.body)


def offered_for(case: Case) -> list[SavedReply]:
    """The active saved replies, those of the case's topic first."""
    replies = SavedReply.objects.filter(is_active=True).select_related("topic").order_by("title")
    return sorted(replies, key=lambda r: (r.topic_id != case.topic_id or case.topic_id is None, r.title))


@dataclass(frozen=True)
class Record:
    uses: int  # replies sent that started from it
    came_back: int  # of those, followed within 7 days by a chaser, a reopen or a repeat

    @property
    def share(self) -> float | None:
        return round(100 * self.came_back / self.uses, 1) if self.uses else None


def records() -> dict[int, Record]:
    """Per saved reply id: its uses, and how many the customer came back after. One query."""
    after = {"gt": OuterRef("created_at"), "lte": OuterRef("created_at") + WINDOW}
    chased = Message.objects.filter(
        case=OuterRef("case"),
        direction=Direction.INBOUND,
        is_chaser=True,
        created_at__gt=after["gt"],
        created_at__lte=after["lte"],
    )
    reopened = Event.objects.filter(
        case=OuterRef("case"), kind=EventKind.CASE_REOPENED, at__gt=after["gt"], at__lte=after["lte"]
    )
    repeated = Case.objects.filter(
        repeat_of=OuterRef("case"), created_at__gt=after["gt"], created_at__lte=after["lte"]
    )
    sent = (
        Message.objects.filter(origin__startswith="saved:")
        .annotate(chased=Exists(chased), reopened=Exists(reopened), repeated=Exists(repeated))
        .values_list("origin", "chased", "reopened", "repeated")
    )
    counts: dict[int, list[int]] = {}
    for origin, *back in sent:
        tally = counts.setdefault(int(origin.split(":", 1)[1]), [0, 0])
        tally[0] += 1
        tally[1] += any(back)
    return {pk: Record(uses, came_back) for pk, (uses, came_back) in counts.items()}
