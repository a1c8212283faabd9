"""Correlation on arrival: every new case joins the open incident about what its units run on, and is
counted by the grouping rules; a rule's group that reaches its minimum inside its window is proposed to a
lead, opens the incident itself, or (in shadow mode) is only written down.

Called through the `FRONTLINE_CASE_OPENED` door, inside the transaction that opens the case (intake's path:
measured in bench/correlation.py). Nothing here reads the case again: its units and opening message are on
the instance open_case returned.
"""

import json
import math
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases.models import Case
from frontline.core import clock, rows, texts
from frontline.core.errors import Conflict
from frontline.correlation import events, schema, upstream, words
from frontline.correlation.models import GroupBy, Proposal, ProposalState, RuleMode, Sighting
from frontline.correlation.rules import rule_cache
from frontline.incidents import running
from frontline.incidents.models import Impact, Incident, IncidentCase, IncidentState
from frontline.todos.models import TODO_KINDS, ToDo, ToDoStatus
from frontline.todos.services import finish_todo, raise_todo

REVIEW_GROUP = TODO_KINDS.declare("grouping_proposal", "Grouped cases: one incident?")
RECENT_FOR_WORDS = 300  # a words rule compares a new case with at most this many recent ones
_COUNTS = ("count", "last_seen_at", "customers")
_ABOUT = Incident.components.through._meta.db_table
_INCIDENTS = Incident._meta.db_table
_SIGHTINGS = Sighting._meta.db_table


def case_opened(case: Case) -> None:
    """The door: join an open incident, then let every rule that looks count the case."""
    elements = upstream.of_units(getattr(case, "opening_units", ()))
    _join_open_incident(case, elements)
    rules = rule_cache.active()
    if not rules:
        return
    context = schema.case_context(case, from_monitoring=case.opening_message.channel == "monitoring")
    signature = None
    for rule, program in rules:
        if rule.group_by == GroupBy.UPSTREAM:
            for element in elements:
                if _fires(program, {**context, "element": element.fields}):
                    _sight(rule, case, key=f"component:{element.name}", label=element.label)
        elif _fires(program, {**context, "element": schema.NO_ELEMENT}):
            if signature is None:
                signature = words.signature(f"{case.subject}\n{case.opening_message.body_text}")
            if signature:
                _sight_words(rule, case, signature)


def _fires(program, context: dict) -> bool:
    try:
        return program.execute(context) is True
    except Exception:
        return False


def _join_open_incident(case: Case, elements) -> None:
    if not elements:
        return
    ids = upstream.components.with_ancestors(elements)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:  # the newest open incident about any of them, and which one
        cursor.execute(
            f"SELECT ic.incident_id, ic.component_id FROM {_ABOUT} ic JOIN {_INCIDENTS} i "
            f"ON i.id = ic.incident_id WHERE ic.component_id IN ({marks}) AND i.state IN (%s, %s, %s) "
            "ORDER BY i.started_at DESC LIMIT 1",
            [*ids, *IncidentState.open_values()],
        )
        about = cursor.fetchone()
    if about is None:
        return
    incident = rows.get(Incident, about[0])
    element = upstream.components.by_pk.get(about[1], elements[0])
    why = f"runs on {element.label}, which {incident.ref} is about"
    _join(incident, case, why)


def _join(incident: Incident, case: Case, why: str) -> None:
    try:
        running.link_case(incident, case, label="correlation", why=why, via="correlation", arriving=True)
    except Conflict:  # resolved a moment ago, by someone else: the case goes on by itself
        return
    case.joined_incident = incident


def _current_group(rule, key: str, now) -> Proposal | None:
    since = connection.ops.adapt_datetimefield_value(now - timedelta(minutes=rule.window_minutes))
    group = rows.find(
        Proposal,
        "t0.rule_id = %s AND t0.key = %s AND t0.last_seen_at >= %s ORDER BY t0.id DESC LIMIT 1",
        [rule.pk, key, since],
        follow=("incident",),
    )
    if group is not None and group.incident_id and not group.incident.is_open:
        return None  # nothing joins a resolved incident: a new group starts
    return group


def _sight(rule, case: Case, *, key: str, label: str, signature=()) -> Proposal:
    """Count the case in the rule's current group for the key (plain SQL: every counted case pays this on
    intake's path; bench/correlation.py measures it)."""
    now = clock.now()
    group = _current_group(rule, key, now)
    if group is None:
        group = Proposal(rule=rule, key=key[:120], label=label[:200], first_seen_at=now, last_seen_at=now)
        rows.insert(group)
    group.rule = rule
    rows.insert(
        Sighting(
            rule=rule,
            proposal=group,
            case=case,
            customer_id=case.customer_id,
            seen_at=now,
            words=list(signature),
        )
    )
    group.count += 1
    group.last_seen_at = now
    if group.state == ProposalState.GATHERING:
        since = now - timedelta(minutes=rule.window_minutes)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {_SIGHTINGS} WHERE proposal_id = %s AND seen_at >= %s",
                [group.pk, connection.ops.adapt_datetimefield_value(since)],
            )
            (recent,) = cursor.fetchone()
        if recent >= rule.min_count:  # once a group: the ORM will do
            window = group.sightings.filter(seen_at__gte=since)
            first = window.order_by("seen_at").values_list("seen_at", flat=True).first()
            minutes = max(1, math.ceil((now - first).total_seconds() / 60))
            span = f"{minutes} minute{'' if minutes == 1 else 's'}"
            group.why = f"same {group.label}, {recent} cases in {span}, rule '{rule.name}'"
            _reached(rule, group, now)
            if group.incident_id is not None:  # opened just now, this case linked with the rest
                case.joined_incident = group.incident
    elif group.incident_id is not None and getattr(case, "joined_incident", None) is None:
        _join(group.incident, case, group.why)
    rows.update(group, [*_COUNTS, "state", "why", "proposed_at", "incident"])
    return group


def _sight_words(rule, case: Case, signature: list[str]) -> None:
    """The case joins the group of the most similar recent case of this rule, or starts one. The recent
    cases are read newest first along the (rule, seen_at) index, at most RECENT_FOR_WORDS of them."""
    now = clock.now()
    since = connection.ops.adapt_datetimefield_value(now - timedelta(minutes=rule.window_minutes))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT proposal_id, words FROM {_SIGHTINGS} WHERE rule_id = %s AND seen_at >= %s "
            f"ORDER BY seen_at DESC LIMIT {RECENT_FOR_WORDS}",
            [rule.pk, since],
        )
        recent = cursor.fetchall()
    best, best_score = None, words.SIMILAR
    mine = set(signature)
    for proposal_id, other in recent:
        score = words.overlap(mine, other if isinstance(other, list) else json.loads(other))
        if score >= best_score:
            best, best_score = proposal_id, score
            if score == 1.0:
                break
    if best is None:
        key, label = f"words:C-{case.pk}", f'words "{words.headline(signature)}"'
    else:
        key, label = Proposal.objects.filter(pk=best).values_list("key", "label").get()
    _sight(rule, case, key=key, label=label, signature=signature)


def _reached(rule, group: Proposal, now) -> None:
    group.proposed_at = now
    group.customers = len(set(group.sightings.values_list("customer_id", flat=True)))
    if rule.mode == RuleMode.SHADOW:
        group.state = ProposalState.SHADOW
    elif rule.needs_approval:
        group.state = ProposalState.PENDING
        raise_todo(
            kind=REVIEW_GROUP,
            title=f"{group.count} cases look like one incident: {group.label}"[:255],
            detail=f"{group.why}. Accept to open an incident that links them and tells everyone it reaches, "
            "or decline.",
            evidence={"proposal_id": group.pk},
            via="correlation",
        )
    else:
        group.state = ProposalState.OPENED
        _open(group, by=None)
    events.group_found(proposal=group)


def _open(group: Proposal, *, by) -> Incident:
    """The incident for the group: the open one about its element if there is one, else a new one that tells
    everyone it reaches; every case of the group is linked, saying why."""
    element = upstream.components.get().get(group.key.removeprefix("component:"))
    incident = None
    if element is not None:
        incident = (
            Incident.objects.filter(state__in=IncidentState.open_values(), components=element.pk)
            .order_by("-started_at")
            .first()
        )
    if incident is None:
        title, body = texts.render_message("correlation/grouped", group=group)
        customer_ids = list(group.sightings.values_list("customer_id", flat=True).distinct())
        at_once = settings.FRONTLINE_INCIDENT_NOTICE != "lead" or by is not None
        incident = running.open_incident(
            title=title,
            components=[element.pk] if element is not None else [],
            customers=customer_ids if element is None else [],
            impact=Impact.DOWN,
            started_at=group.first_seen_at,
            body=body if at_once else "",
            by=by,
            label=f"rule {group.rule.name}",
            via="correlation",
        )
    group.incident = incident
    label = f"rule {group.rule.name}" + (f", accepted by {by}" if by else "")
    members = Case.objects.filter(pk__in=group.sightings.values("case_id"))
    linked = set(IncidentCase.objects.filter(case__in=members).values_list("case_id", flat=True))
    for case in members.exclude(pk__in=linked):
        try:
            running.link_case(incident, case, label=label, why=group.why, via="correlation")
        except Conflict:  # merged into a case linked elsewhere: that link stands
            continue
    return incident


@transaction.atomic
def decide(group: Proposal, *, accept: bool, by, reason: str = "", via: str = "web") -> Proposal:
    """A lead's answer to a proposal: accept opens (or joins) the incident and links the group's cases."""
    require(by, Capability.RUN_INCIDENTS)
    group = Proposal.objects.select_for_update().select_related("rule").get(pk=group.pk)
    if group.state != ProposalState.PENDING:
        raise Conflict(f"this proposal is {group.get_state_display().lower()}, not waiting", field="state")
    group.decided_by, group.decided_at = by, clock.now()
    if accept:
        group.state = ProposalState.OPENED
        _open(group, by=by)
    else:
        group.state = ProposalState.DECLINED
    group.save(update_fields=["state", "incident", "decided_by", "decided_at"])
    events.group_decided(proposal=group, accepted=accept, reason=reason, by=by, via=via)
    outcome = f"opened {group.incident.ref}" if accept else f"declined{': ' + reason if reason else ''}"
    asked = ToDo.objects.filter(kind=REVIEW_GROUP, status=ToDoStatus.OPEN, evidence__proposal_id=group.pk)
    for todo in asked:  # the question is answered, wherever it was answered
        finish_todo(todo, by=by, outcome=outcome, via=via)
    return group
