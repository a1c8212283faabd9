"""Routing: the skill a case needs, the person who can solve it, and why; knowledge from past cases.

A new case is triaged once, right after intake opens it: the repeat rule, the topic (classified, or left to
the triage pool when the classifier is not sure), then an owner chosen among available people with the
skill, by their level, their track record on the topic, their load against capacity, whether they are on
duty and whether they owned this customer's last case. No round robin: nobody without the skill is ever
a candidate. Every choice is kept on the case with its terms, and as an event.
"""

import datetime
import logging
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery

from frontline.agents.models import Agent, AgentSkill, Capability, Skill
from frontline.agents.services import require
from frontline.cases import clocks, demand
from frontline.cases import services as cases
from frontline.cases.lifecycle import set_assignee
from frontline.cases.models import Case, CaseStatus, Direction, Message
from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.events.models import Event
from frontline.routing import events
from frontline.routing.models import AgentTopicRecord, RouterModel
from frontline.routing.text import case_text

log = logging.getLogger(__name__)

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


def threshold() -> float:
    return settings.FRONTLINE_ROUTER_THRESHOLD


def models_dir() -> Path:
    path = Path(settings.FRONTLINE_ROUTER_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- training ----------------------------------------------------------------------------------------------


def _opening_body():
    first = Message.objects.filter(case=OuterRef("pk"), direction=Direction.INBOUND).order_by(
        "created_at", "pk"
    )
    return Subquery(first.values("body_text")[:1])


def training_rows(limit: int) -> list[tuple[int, str, str, str]]:
    """(case id, topic slug, text, resolution notes) of the newest resolved cases with a topic."""
    rows = (
        Case.objects.filter(status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED], merged_into__isnull=True)
        .exclude(topic=None)
        .order_by("-pk")
        .annotate(opening=_opening_body())
        .values_list("pk", "topic__slug", "subject", "opening")[:limit]
    )
    return [(pk, slug, case_text(subject, opening or "")) for pk, slug, subject, opening in rows]


_train_lock = threading.Lock()
# A topic with fewer resolved cases than this is left out of the model (its cases go to triage) until
# there are enough; the similar-case index still holds them.
MIN_CASES_PER_TOPIC = 5


def train_router(*, limit: int = 100_000, holdout: float = 0.2, by=None, via: str = "command") -> RouterModel:
    """Train a new version on the provider's own resolved cases: a fifth held out to measure it, the
    rest to learn from; the similar-case index over all of them. Refuses clearly when there is too
    little to learn from, and keeps the version in use until the new one is written."""
    # The model code (scikit-learn, SciPy, NumPy: about 100 MB) loads only where a model is trained or used.
    import joblib

    from frontline.routing import classifier, similar  # (as above)

    stages, mark = {}, time.perf_counter()

    def stage(name):
        nonlocal mark
        now = time.perf_counter()
        stages[name] = round(now - mark, 1)
        mark = now

    rows = training_rows(limit)
    stage("read")
    if len(rows) < 20:
        raise ServiceError(f"training needs at least 20 resolved cases with a topic; there are {len(rows)}")
    counts = Counter(slug for _, slug, _ in rows)
    rare = sorted(slug for slug, n in counts.items() if n < MIN_CASES_PER_TOPIC)
    shuffled = [row for row in rows if row[1] not in rare]
    random.Random(0).shuffle(shuffled)
    cut = int(len(shuffled) * holdout)
    held, learn = shuffled[:cut], shuffled[cut:]
    try:
        model = classifier.train([text for _, _, text in learn], [slug for _, slug, _ in learn])
    except ValueError as exc:
        raise ServiceError(str(exc)) from exc
    stage("fit")
    metrics = {"trained_on": len(learn), "held_out": len(held), "topics_too_rare": rare}
    if held:  # five thousand cases measure it to about a point; more only costs time
        sample = held[:5000]
        result = classifier.evaluate(model, [t for _, _, t in sample], [s for _, s, _ in sample])
        metrics.update(top1=round(result.top1, 4), top3=round(result.top3, 4), ece=round(result.ece, 4))
    stage("measure")
    index = similar.build([pk for pk, _, _ in rows], [text for _, _, text in rows])
    stage("index")
    with _train_lock:
        version = (
            RouterModel.objects.order_by("-version").values_list("version", flat=True).first() or 0
        ) + 1
        name, index_name = f"router-v{version}.joblib", f"similar-v{version}.joblib"
        directory = models_dir()
        for filename, payload in ((name, {"version": version, "classifier": model}), (index_name, index)):
            tmp = directory / (filename + ".part")
            joblib.dump(payload, tmp, compress=3)
            tmp.replace(directory / filename)
        stage("write")
        metrics["seconds"] = round(sum(stages.values()), 1)
        metrics["stages"] = stages
        with transaction.atomic():
            trained = RouterModel.objects.create(
                version=version,
                trained_at=clock.now(),
                path=name,
                index_path=index_name,
                cases_used=len(rows),
                topics=sorted({slug for _, slug, _ in learn}),
                metrics=metrics,
                size_bytes=(directory / name).stat().st_size,
            )
            events.router_trained(version=version, metrics=metrics, by=by, via=via)
    rebuild_topic_records()
    _prune_old_versions(keep=3)
    return trained


def _prune_old_versions(keep: int) -> None:
    for old in RouterModel.objects.order_by("-version")[keep:]:
        for filename in (old.path, old.index_path):
            (models_dir() / filename).unlink(missing_ok=True)


@dataclass
class Loaded:
    key: tuple  # (directory, version, trained_at): a version number alone repeats across databases
    version: int
    classifier: object
    index: object  # a similar.SimilarIndex


_loaded: Loaded | None = None


def current_model() -> Loaded | None:
    """The newest trained version, loaded once per process and replaced when a newer one appears."""
    global _loaded
    newest = RouterModel.objects.order_by("-version").first()
    if newest is None:
        return None
    directory = models_dir()
    key = (str(directory), newest.version, newest.trained_at)
    if _loaded is None or _loaded.key != key:
        import joblib  # the model's files need the model code; loaded here, where a model is used

        try:
            payload = joblib.load(directory / newest.path)
            index = joblib.load(directory / newest.index_path)
        except FileNotFoundError:
            log.warning("router v%s is recorded but its files are missing from %s", newest.version, directory)
            return _loaded
        _loaded = Loaded(key, newest.version, payload["classifier"], index)
    return _loaded


# --- classification ----------------------------------------------------------------------------------------


@dataclass
class TopicGuess:
    slug: str
    confidence: float
    ranked: list[tuple[str, float]]
    version: int


def classify(subject: str, body: str) -> TopicGuess | None:
    loaded = current_model()
    if loaded is None:
        return None
    from frontline.routing import classifier  # loaded with the model, in current_model

    ranked = classifier.predict(loaded.classifier, [case_text(subject, body)])[0]
    return TopicGuess(ranked[0][0], ranked[0][1], ranked, loaded.version)


def _opening_message(case: Case) -> str:
    """The body of the customer's first message on the case: what the problem was, in their words."""
    opening = (
        case.messages.filter(direction=Direction.INBOUND)
        .order_by("created_at", "pk")
        .values_list("body_text", flat=True)
        .first()
    )
    return opening or ""


def _opening_text(case: Case) -> str:
    return case_text(case.subject, _opening_message(case))


def triage_new_case(case: Case, *, via: str = "intake") -> Case:
    """Right after intake opens a case: repeat rule, topic, owner, score. One transaction with the opening."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("customer", "topic").get(pk=case.pk)
        )
        earlier = demand.find_repeat(case)
        if earlier is not None:
            demand.record_repeat(case, earlier, via=via)
            case.save(update_fields=["repeat_of", "demand_type", "failure_reason"])
        if case.topic_id is None:
            guess = classify(case.subject, _opening_message(case))
            if guess is None:
                _to_triage(case, "no topic model has been trained yet (frontline train-router)", via=via)
            elif guess.confidence < threshold():
                alternatives = ", ".join(f"{slug} {p:.2f}" for slug, p in guess.ranked[:3])
                _to_triage(
                    case, f"not sure of the topic ({alternatives}; threshold {threshold():.2f})", via=via
                )
            else:
                _set_topic(
                    case,
                    Skill.objects.get(slug=guess.slug),
                    confidence=guess.confidence,
                    by=None,
                    via=via,
                    model=guess.version,
                )
        if case.topic_id is not None and case.assignee_id is None:
            route_case(case, via=via)
        cases.refresh_priority(case)
    return case


def _set_topic(case: Case, topic: Skill, *, confidence: float | None, by, via: str, model=None) -> None:
    previous = case.topic.slug if case.topic_id else ""
    case.topic, case.topic_confidence = topic, confidence
    case.save(update_fields=["topic", "topic_confidence"])
    events.topic_set(case=case, previous=previous, by=by, via=via, model=model)


def _to_triage(case: Case, reason: str, *, via: str) -> None:
    case.routing_explanation = {"pool": TRIAGE, "reason": reason, "at": clock.now().isoformat()}
    case.save(update_fields=["routing_explanation"])
    events.sent_to_triage(case=case, reason=reason, via=via)


def set_topic(case: Case, *, topic: Skill, by: Agent, reroute: bool = False, via: str = "web") -> Case:
    """A person says what the case is about. Their word is a label the next training learns from; with
    `reroute` (or when nobody owns it yet) the case goes to someone with that skill."""
    require(by, Capability.WORK_CASES)
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("customer", "topic").get(pk=case.pk)
        )
        if case.topic_id == topic.pk and case.topic_confidence is None:
            raise ServiceError(f"the topic is already {topic.name}", field="topic")
        _set_topic(case, topic, confidence=None, by=by, via=via)
        if reroute or case.assignee_id is None:
            exclude = frozenset({case.assignee_id}) if case.assignee_id and reroute else frozenset()
            route_case(case, via=via, exclude=exclude, reason=f"topic set to {topic.name} by {by}")
    return case


# --- choosing an owner -------------------------------------------------------------------------------------


def _term(name: str, points: float, reason: str) -> dict:
    return {"term": name, "points": round(points, 1), "reason": reason}


def _previous_owner(case: Case) -> tuple[int, str] | None:
    since = clock.now() - CONTINUITY_WINDOW
    found = (
        Case.objects.filter(customer_id=case.customer_id, created_at__gte=since, assignee__isnull=False)
        .exclude(pk=case.pk)
        .order_by("-created_at")
        .values_list("assignee_id", "pk")
        .first()
    )
    return (found[0], f"C-{found[1]}") if found else None


def candidates(case: Case, *, exclude: frozenset[int] = frozenset()) -> tuple[list[dict], list[dict]]:
    """Everyone with the case's skill, scored with their terms (best first), and those left out and why."""
    topic = case.topic
    now = clock.now()
    skilled = AgentSkill.objects.filter(skill=topic).select_related("agent__team").order_by("agent_id")
    skilled = [row for row in skilled if row.agent.can(Capability.WORK_CASES)]
    ids = [row.agent_id for row in skilled]
    load = dict(
        Case.objects.filter(is_open=True, assignee_id__in=ids)
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    records = {r.agent_id: r for r in AgentTopicRecord.objects.filter(skill=topic, agent_id__in=ids)}
    team_hours = [r.mean_hours for r in records.values() if r.mean_hours]
    team_mean = sum(team_hours) / len(team_hours) if team_hours else None
    previous = _previous_owner(case)
    scored, excluded = [], []
    for row in skilled:
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
    case: Case, *, via: str = "router", exclude: frozenset[int] = frozenset(), reason: str = "new case"
) -> Agent | None:
    """Give the case to the best candidate with its skill, or to the triage pool when there is none."""
    if case.topic_id is None:
        _to_triage(case, "no topic: a person decides what this is", via=via)
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
        case.save(update_fields=["routing_explanation"])
        events.sent_to_triage(case=case, reason=explanation["reason"], via=via)
        return None
    best = scored[0]
    agent = Agent.objects.get(pk=best["id"])
    top_terms = sorted(best["terms"], key=lambda t: -abs(t["points"]))[:3]
    explanation["reason"] = f"{agent}: " + "; ".join(t["reason"] for t in top_terms)
    explanation["chosen"] = best["id"]
    case.routing_explanation = explanation
    case.save(update_fields=["routing_explanation"])
    set_assignee(case, agent, by=None, actor_label="router", via=via, reason=explanation["reason"])
    events.routed_to(case=case, agent=agent, reason=explanation["reason"], why_now=reason, via=via)
    return agent


# --- the owner who does not act ----------------------------------------------------------------------------


def reassign_overdue(limit: int = 500) -> int:
    """Cases whose owner let the response clock run out without doing anything on the case since taking
    it go to the next best person with the skill. The owner gets the clock's full window from the moment
    they were given the case. Answers how many moved."""
    now = clock.now()
    moved = 0
    overdue = (
        Case.objects.filter(is_open=True, assignee__isnull=False, response_due_at__lt=now)
        .select_related("customer", "assignee__team", "topic")
        .order_by("response_due_at")[:limit]
    )
    for case in overdue:
        first_target, next_target, _ = clocks.targets_for(case.customer.tier, case.customer.plan, case.impact)
        window = first_target if case.first_response_at is None else next_target
        given = case.assigned_at or case.created_at
        deadline = max(
            case.response_due_at, clocks.add_working_time(clocks.team_for_clocks(case), given, window)
        )
        if now < deadline or case.topic_id is None:
            continue
        acted = Event.objects.filter(case=case, actor_id=case.assignee_id, at__gte=given).exists()
        if acted:
            continue
        with transaction.atomic():
            locked = (
                Case.objects.select_for_update(of=("self",))
                .select_related("customer", "topic", "assignee")
                .get(pk=case.pk)
            )
            if locked.assignee_id != case.assignee_id or not locked.is_open:
                continue
            reason = f"{locked.assignee} did not act within the response clock (due {deadline:%d %b %H:%M})"
            if route_case(locked, via="worker", exclude=frozenset({locked.assignee_id}), reason=reason):
                moved += 1
    return moved


# --- track records -----------------------------------------------------------------------------------------


def _hours(case_start, finished) -> float:
    return max((finished - case_start).total_seconds() / 3600, 0.0)


def record_finished(case: Case) -> None:
    """A case was resolved (or closed) for the first time: its owner's record on its topic grows."""
    if not (case.assignee_id and case.topic_id) or case.reopen_count:
        return
    finished = case.resolved_at or case.closed_at or clock.now()
    record_row, _ = AgentTopicRecord.objects.get_or_create(agent_id=case.assignee_id, skill_id=case.topic_id)
    # Added in the database, as record_reopened does: two cases finishing at once must both count.
    AgentTopicRecord.objects.filter(pk=record_row.pk).update(
        resolved=F("resolved") + 1,
        hours_to_resolve=F("hours_to_resolve") + _hours(case.problem_started_at, finished),
    )


def record_reopened(case: Case) -> None:
    """The first reopen of a case counts against the record of whoever resolved it."""
    if not (case.assignee_id and case.topic_id) or case.reopen_count != 1:
        return
    AgentTopicRecord.objects.filter(agent_id=case.assignee_id, skill_id=case.topic_id).update(
        reopened=F("reopened") + 1
    )


def rebuild_topic_records() -> int:
    """Recount every record from the cases (after a bulk import, or to repair drift): a case counts once it
    was finished, and as reopened if it ever was; one reopened and open again adds no hours (its first
    finish time is gone from the row)."""
    finished = Case.objects.filter(
        Q(resolved_at__isnull=False) | Q(closed_at__isnull=False) | Q(reopen_count__gt=0),
        assignee__isnull=False,
        topic__isnull=False,
    ).values_list("assignee_id", "topic_id", "problem_started_at", "resolved_at", "closed_at", "reopen_count")
    totals: dict[tuple[int, int], list] = {}
    for agent_id, topic_id, started, resolved_at, closed_at, reopens in finished.iterator(chunk_size=5000):
        row = totals.setdefault((agent_id, topic_id), [0, 0, 0.0])
        row[0] += 1
        row[1] += 1 if reopens else 0
        if resolved_at or closed_at:
            row[2] += _hours(started, resolved_at or closed_at)
    with transaction.atomic():
        AgentTopicRecord.objects.all().delete()
        AgentTopicRecord.objects.bulk_create(
            AgentTopicRecord(agent_id=a, skill_id=t, resolved=r, reopened=o, hours_to_resolve=h)
            for (a, t), (r, o, h) in totals.items()
        )
    return len(totals)


# --- knowledge ---------------------------------------------------------------------------------------------


def similar_cases(case: Case, limit: int = 5) -> list[dict]:
    """The resolved cases most like this one, with how they were solved, best first."""
    loaded = current_model()
    if loaded is None:
        return []
    found = loaded.index.query(_opening_text(case), limit=limit + 1, exclude=frozenset({case.pk}))
    rows = Case.objects.in_bulk([pk for pk, _ in found])
    result = []
    for pk, score in found:
        other = rows.get(pk)
        if other is None or other.merged_into_id:
            continue
        result.append({"case": other, "similarity": round(score, 2), "resolution": other.resolution_notes})
    return result[:limit]
