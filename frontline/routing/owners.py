"""Choosing an owner: everyone with the case's skill, scored by level, track record, speed, load, duty and
continuity, each term with its reason; the best one gets the case, or the triage pool when nobody can.
Nobody without the skill is ever a candidate."""

import datetime
import math

from django.db import connection

from frontline.agents.models import Agent, AgentSkill, Capability, Skill
from frontline.cases.lifecycle import set_assignee
from frontline.cases.models import Case
from frontline.core import chunk, clock, rows
from frontline.routing import events
from frontline.routing.models import AgentTopicRecord

TRIAGE = events.TRIAGE
# How far back continuity looks for the customer's previous owner.
CONTINUITY_WINDOW = datetime.timedelta(days=180)
# Weights of the routing terms, in one place.
SKILL_POINTS_PER_LEVEL = 10.0  # level 1..5
TRACK_RECORD_POINTS = 30.0  # for a clean record on enough cases of the topic
TRACK_RECORD_FULL_AT = 20  # resolved cases after which the record counts fully
SPEED_POINTS = 10.0  # for resolving twice as fast as the team (minus for twice as slow)
LOAD_POINTS = 30.0  # taken off in proportion to open cases against capacity
ON_DUTY_POINTS = 20.0  # the team keeps business hours and they are open now
CONTINUITY_POINTS = 15.0  # owned the customer's last case


def save_or_defer(case: Case, fields: list[str], unsaved: set[str] | None) -> None:
    """Write the fields now, or leave them to a caller that saves the case once (`unsaved`)."""
    if unsaved is None:
        case.save(update_fields=fields)
    else:
        unsaved.update(fields)


def to_triage(case: Case, reason: str, *, via: str, unsaved=None) -> None:
    case.routing_explanation = {"pool": TRIAGE, "reason": reason, "at": clock.now().isoformat()}
    save_or_defer(case, ["routing_explanation"], unsaved)
    events.sent_to_triage(case=case, reason=reason, via=via)


def _term(name: str, points: float, reason: str) -> dict:
    return {"term": name, "points": round(points, 1), "reason": reason}


# Plain SQL for the two lookups routing makes for every new case: the ORM's query building cost more than
# the indexed lookups themselves.
_PREVIOUS_OWNER = (
    "SELECT assignee_id, id FROM cases_case WHERE customer_id = %s AND created_at >= %s "
    "AND assignee_id IS NOT NULL AND id <> %s ORDER BY created_at DESC LIMIT 1"
)
_OPEN_CASES_OF = (
    "SELECT assignee_id, COUNT(*) FROM cases_case WHERE is_open AND assignee_id IN ({}) GROUP BY assignee_id"
)


def _previous_owner(case: Case) -> tuple[int, str] | None:
    since = connection.ops.adapt_datetimefield_value(clock.now() - CONTINUITY_WINDOW)
    # (A case being opened has no id yet: none of the customer's cases is it.)
    found = rows.fetch_one(_PREVIOUS_OWNER, [case.customer_id, since, case.pk or 0])
    return (found[0], f"C-{found[1]}") if found else None


def _open_cases_of(agent_ids: list[int]) -> dict[int, int]:
    """Each agent's open cases now: counted for every decision (the chunk's own routing moves them)."""
    if not agent_ids:
        return {}
    return dict(rows.fetch_all(_OPEN_CASES_OF.format(", ".join(["%s"] * len(agent_ids))), agent_ids))


def skilled(topic: Skill) -> list[AgentSkill]:
    """Who has the skill and may work cases, with their agents and teams: read once per intake chunk."""
    return chunk.once(("skilled", topic.pk), lambda: _skilled([topic]).get(topic.pk, []))


def _skilled(topics: list[Skill]) -> dict[int, list[AgentSkill]]:
    rows = AgentSkill.objects.filter(skill__in=topics).select_related("agent__team").order_by("agent_id")
    by_topic: dict[int, list[AgentSkill]] = {}
    for row in rows:
        if row.agent.can(Capability.WORK_CASES):
            by_topic.setdefault(row.skill_id, []).append(row)
    return by_topic


def topic_records(topic: Skill, ids: list[int]) -> dict[int, AgentTopicRecord]:
    """Their track records on the topic: read once per chunk, forgotten when a finished case changes one."""

    def read():
        return {r.agent_id: r for r in AgentTopicRecord.objects.filter(skill=topic, agent_id__in=ids)}

    return chunk.once(("topic-records", topic.pk), read)


def read_ahead(topics: list[Skill]) -> None:
    """`skilled` and `topic_records` of several topics for the chunk, in two queries (one each per topic
    when asked one by one)."""
    topics = [topic for topic in topics if chunk.recall(("skilled", topic.pk)) is None]
    if not chunk.active() or not topics:
        return
    by_topic = _skilled(topics)
    records: dict[int, dict[int, AgentTopicRecord]] = {topic.pk: {} for topic in topics}
    for record in AgentTopicRecord.objects.filter(skill__in=topics):
        records[record.skill_id][record.agent_id] = record
    for topic in topics:
        with_skill = by_topic.get(topic.pk, [])
        ids = {row.agent_id for row in with_skill}
        chunk.remember(("skilled", topic.pk), with_skill)
        found = {agent_id: record for agent_id, record in records[topic.pk].items() if agent_id in ids}
        chunk.remember(("topic-records", topic.pk), found)


def candidates(case: Case, *, exclude: frozenset[int] = frozenset()) -> tuple[list[dict], list[dict]]:
    """Everyone with the case's skill, scored with their terms (best first), and those left out and why."""
    topic = case.topic
    now = clock.now()
    with_skill = skilled(topic)
    ids = [row.agent_id for row in with_skill]
    load = _open_cases_of(ids)
    records = topic_records(topic, ids)
    team_hours = [r.mean_hours for r in records.values() if r.mean_hours]
    team_mean = sum(team_hours) / len(team_hours) if team_hours else None
    previous = _previous_owner(case)
    scored, excluded = [], []
    for row in with_skill:
        agent = row.agent
        open_cases = load.get(agent.pk, 0)
        if agent.pk in exclude:
            excluded.append(
                {"agent": str(agent), "id": agent.pk, "reason": "the owner who did not act in time"}
            )
            continue
        if not agent.is_available:
            excluded.append({"agent": str(agent), "id": agent.pk, "reason": "not available"})
            continue
        if open_cases >= agent.capacity:
            excluded.append(
                {
                    "agent": str(agent),
                    "id": agent.pk,
                    "reason": f"full: {open_cases} of {agent.capacity} open cases",
                }
            )
            continue
        terms = [_term("skill", row.level * SKILL_POINTS_PER_LEVEL, f"{topic.name} level {row.level} of 5")]
        track = records.get(agent.pk)
        if track and track.resolved:
            clean = (track.resolved - track.reopened + 1) / (track.resolved + 2)
            experience = min(track.resolved, TRACK_RECORD_FULL_AT) / TRACK_RECORD_FULL_AT
            terms.append(
                _term(
                    "track_record",
                    TRACK_RECORD_POINTS * clean * experience,
                    f"resolved {track.resolved} {topic.name} cases, {track.reopened} reopened",
                )
            )
            if team_mean and track.mean_hours:
                ratio = max(min(team_mean / track.mean_hours, 2.0), 0.5)
                terms.append(
                    _term(
                        "speed",
                        SPEED_POINTS * math.log2(ratio),
                        f"resolves in {track.mean_hours:.1f} h on average (everyone: {team_mean:.1f} h)",
                    )
                )
        terms.append(
            _term(
                "load",
                -LOAD_POINTS * open_cases / max(agent.capacity, 1),
                f"{open_cases} of {agent.capacity} open cases",
            )
        )
        team = agent.team
        if team is not None and team.business_hours:
            if team.is_open_at(now):
                terms.append(_term("on_duty", ON_DUTY_POINTS, f"{team.name} is open now"))
            else:
                terms.append(_term("on_duty", 0.0, f"{team.name} is closed now"))
        if previous and previous[0] == agent.pk:
            terms.append(
                _term("continuity", CONTINUITY_POINTS, f"owned this customer's last case {previous[1]}")
            )
        score = round(sum(t["points"] for t in terms), 1)
        scored.append(
            {"agent": str(agent), "id": agent.pk, "score": score, "terms": terms, "open": open_cases}
        )
    scored.sort(key=lambda c: (-c["score"], c["open"], c["id"]))
    return scored, excluded


def route_case(
    case: Case,
    *,
    via: str = "router",
    exclude: frozenset[int] = frozenset(),
    reason: str = "new case",
    unsaved: set[str] | None = None,
) -> Agent | None:
    """Give the case to the best candidate with its skill, or to the triage pool when there is none.
    With `unsaved` the caller saves the case afterwards, and the changed fields are added to it."""
    if case.topic_id is None:
        to_triage(case, "no topic: a person decides what this is", via=via, unsaved=unsaved)
        return None
    scored, excluded = candidates(case, exclude=exclude)
    explanation = {
        "topic": case.topic.slug,
        "confidence": case.topic_confidence,
        "why_now": reason,
        "candidates": scored[:5],
        "excluded": excluded,
        "at": clock.now().isoformat(),
    }
    if not scored:
        explanation.update(pool=TRIAGE, reason=f"nobody available with the {case.topic.name} skill")
        case.routing_explanation = explanation
        save_or_defer(case, ["routing_explanation"], unsaved)
        events.sent_to_triage(case=case, reason=explanation["reason"], via=via)
        return None
    best = scored[0]
    agent = next(row.agent for row in skilled(case.topic) if row.agent_id == best["id"])
    top_terms = sorted(best["terms"], key=lambda t: -abs(t["points"]))[:3]
    explanation["reason"] = f"{agent}: " + "; ".join(t["reason"] for t in top_terms)
    explanation["chosen"] = best["id"]
    case.routing_explanation = explanation
    changed = {"routing_explanation"}
    set_assignee(
        case, agent, by=None, actor_label="router", via=via, reason=explanation["reason"], unsaved=changed
    )
    events.routed_to(case=case, agent=agent, reason=explanation["reason"], why_now=reason, via=via)
    save_or_defer(case, sorted(changed), unsaved)
    return agent
