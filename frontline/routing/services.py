"""Routing: the skill a case needs, the person who can solve it, and why; knowledge from past cases.

A new case is triaged once, right after intake opens it: the repeat rule, the topic (classified, or left to
the triage pool when the classifier is not sure), then an owner chosen among available people with the
skill, by their level, their track record on the topic, their load against capacity, whether they are on
duty and whether they owned this customer's last case. No round robin: nobody without the skill is ever
a candidate. Every choice is kept on the case with its terms, and as an event.
"""

import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery

from frontline.agents.models import Agent, Capability, Skill
from frontline.agents.services import require
from frontline.cases import clocks, demand
from frontline.cases.lifecycle import set_priority
from frontline.cases.models import Case, CaseStatus, Direction, Message
from frontline.core import chunk, clock, rows
from frontline.core.errors import ServiceError
from frontline.events.models import Event
from frontline.routing import events, owners
from frontline.routing.models import AgentTopicRecord, RouterModel
from frontline.routing.owners import candidates as candidates
from frontline.routing.owners import route_case, save_or_defer, to_triage
from frontline.routing.text import case_text

log = logging.getLogger(__name__)

TRIAGE = events.TRIAGE


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
        forget_newest_model()
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

# A process asks which version is newest at most this often: a message read alone (the API's) asked every
# time, a statement in seventeen. Another process's training is in use everywhere within this; this
# process's at once (train_router forgets the answer).
NEWEST_MODEL_RECHECK_SECONDS = 5.0
_newest: dict = {"model": None, "until": 0.0}
# A version whose files this process could not find is looked for again after this long, not at every
# message: with the data directory not mounted, each API message logged the same warning.
MISSING_MODEL_RETRY_SECONDS = 60.0
_missing: dict = {"key": None, "until": 0.0}


def _newest_model() -> RouterModel | None:
    if time.monotonic() >= _newest["until"]:
        # Plain SQL: the ORM's query cost 0.4 ms to build.
        found = rows.find(RouterModel, "t0.version = (SELECT MAX(version) FROM routing_routermodel)", [])
        _newest.update(model=found, until=time.monotonic() + NEWEST_MODEL_RECHECK_SECONDS)
    return _newest["model"]


def forget_newest_model() -> None:
    """Ask the database again at the next use (a version trained here, a test's rolled back), and look for
    files found missing again."""
    _newest["until"] = 0.0
    _missing["until"] = 0.0


def current_model() -> Loaded | None:
    """The newest trained version, loaded once per process and replaced when a newer one appears."""
    global _loaded
    newest = _newest_model()
    if newest is None:
        return None
    directory = models_dir()
    key = (str(directory), newest.version, newest.trained_at)
    if _loaded is None or _loaded.key != key:
        if _missing["key"] == key and time.monotonic() < _missing["until"]:
            return _loaded
        import joblib  # the model's files need the model code; loaded here, where a model is used

        try:
            payload = joblib.load(directory / newest.path)
            index = joblib.load(directory / newest.index_path)
        except FileNotFoundError:
            log.warning("router v%s is recorded but its files are missing from %s", newest.version, directory)
            _missing.update(key=key, until=time.monotonic() + MISSING_MODEL_RETRY_SECONDS)
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
    text = case_text(subject, body)
    guessed = chunk.recall(("topic-guess", text))
    if guessed is not None:
        return guessed
    return classify_ahead([text]).get(text)


def classify_ahead(texts: list[str]) -> dict[str, TopicGuess]:
    """Classify many case texts (`case_text`) in one call to the model (a chunk's new mail), each guess
    kept for the chunk: one call costs about what one text did. Answers {text: guess}; empty without a
    model."""
    loaded = current_model() if texts else None
    if loaded is None:
        return {}
    from frontline.routing import classifier  # loaded with the model, in current_model

    texts = list(dict.fromkeys(texts))
    return remember_guesses(
        dict(zip(texts, classifier.predict(loaded.classifier, texts), strict=True)), loaded.version
    )


def model_file() -> tuple[str, int] | None:
    """The newest model's file and version, for a process that guesses on its own (intake's reader),
    which then hands its guesses to `remember_guesses`. None without a model."""
    newest = _newest_model()
    return None if newest is None else (str(models_dir() / newest.path), newest.version)


def remember_guesses(
    ranked_by_text: dict[str, list[tuple[str, float]]], version: int
) -> dict[str, TopicGuess]:
    """Keep the model's ranked topics for each text for the chunk, as guesses of that router version."""
    guesses, routed = {}, set()
    for text, ranked in ranked_by_text.items():
        guesses[text] = TopicGuess(ranked[0][0], ranked[0][1], ranked, version)
        chunk.remember(("topic-guess", text), guesses[text])
        if guesses[text].confidence >= threshold():
            routed.add(guesses[text].slug)
    if chunk.active() and routed:
        _read_skills_ahead(routed)
    return guesses


def _skill(slug: str) -> Skill:
    return chunk.once(("skill", slug), lambda: Skill.objects.get(slug=slug))


def _read_skills_ahead(slugs: set[str]) -> None:
    """Who has each skill, and their records, read for the chunk before its writing starts (three queries
    for all the chunk's topics): a caller that classifies ahead (intake, outside its write transaction)
    keeps these reads out of the writers' queue."""
    wanted = [slug for slug in sorted(slugs) if chunk.recall(("skill", slug)) is None]
    skills = list(Skill.objects.filter(slug__in=wanted)) if wanted else []
    for skill in skills:
        chunk.remember(("skill", skill.slug), skill)
    owners.read_ahead([_skill(slug) for slug in sorted(slugs) if chunk.recall(("skill", slug))])


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
    """Repeat rule, topic, owner, score of a case opened and written already, in a transaction of its own.
    (A case being opened is triaged before it is written: `triage_unwritten`.)"""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("customer", "topic").get(pk=case.pk)
        )
        unsaved = _triage(case, None, _opening_message(case), via=via)
        rows.update(case, sorted(unsaved))  # plain SQL
    return case


def triage_unwritten(case: Case, opening: str, *, via: str = "intake") -> None:
    """For `open_case(triage=...)`: the new case's repeat rule, topic, owner and score, decided on the
    instance before its row is written, so that the row is written once (its events are written with the
    opening's). Its units are those it is being opened with."""
    _triage(case, [unit.pk for unit in case.opening_units], opening, via=via)


def _triage(case: Case, units: list[int] | None, opening: str, *, via: str) -> set[str]:
    """Decide, on the instance: answers the fields it changed, for the caller to write."""
    unsaved = {"priority", "priority_explanation"}  # every step changes the case; one write at the end
    earlier = demand.find_repeat(case, unit_ids=units)
    if earlier is not None:
        demand.record_repeat(case, earlier, via=via)
        unsaved.update(["repeat_of", "demand_type", "failure_reason"])
    if case.topic_id is None:
        guess = classify(case.subject, opening)
        if guess is None:
            reason = "no topic model has been trained yet (frontline train-router)"
            to_triage(case, reason, via=via, unsaved=unsaved)
        elif guess.confidence < threshold():
            alternatives = ", ".join(f"{slug} {p:.2f}" for slug, p in guess.ranked[:3])
            reason = f"not sure of the topic ({alternatives}; threshold {threshold():.2f})"
            to_triage(case, reason, via=via, unsaved=unsaved)
        else:
            _set_topic(
                case,
                _skill(guess.slug),
                confidence=guess.confidence,
                by=None,
                via=via,
                model=guess.version,
                unsaved=unsaved,
            )
    if case.topic_id is not None and case.assignee_id is None:
        route_case(case, via=via, unsaved=unsaved)
    set_priority(case)
    return unsaved


def _set_topic(
    case: Case, topic: Skill, *, confidence: float | None, by, via: str, model=None, unsaved=None
) -> None:
    previous = case.topic.slug if case.topic_id else ""
    case.topic, case.topic_confidence = topic, confidence
    save_or_defer(case, ["topic", "topic_confidence"], unsaved)
    events.topic_set(case=case, previous=previous, by=by, via=via, model=model)


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
    chunk.forget("topic-records")
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
    chunk.forget("topic-records")
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
