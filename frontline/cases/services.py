"""Every change to a case goes through here: pages, API, tasks, commands and admin actions alike.

Each function is one transaction that writes its event beside its change. The one exception is a reply:
the message is committed before it is handed to the mail server and the outcome recorded after, so a
slow or broken server never holds the database and never loses what the agent wrote.
"""

import datetime
from collections.abc import Callable

from django.db import transaction

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.cases import demand, events, search
from frontline.cases import units as units_of_case
from frontline.cases.calls import check_callback as check_callback
from frontline.cases.calls import check_callbacks as check_callbacks
from frontline.cases.calls import log_outbound_call as log_outbound_call
from frontline.cases.calls import promise_callback as promise_callback
from frontline.cases.lifecycle import (
    add_message,
    reopen,
    response_due,
    set_assignee,
    set_priority,
    transition,
)
from frontline.cases.models import Case, CaseStatus, Channel, Direction, Impact, Message
from frontline.cases.replies import add_internal_note as add_internal_note
from frontline.cases.replies import confirm_receipt as confirm_receipt
from frontline.cases.replies import reply_address as reply_address
from frontline.cases.replies import reply_to_case as reply_to_case
from frontline.cases.replies import send_on_case as send_on_case
from frontline.cases.rescoring import RESCORE_STEP as RESCORE_STEP
from frontline.cases.rescoring import refresh_open_priorities as refresh_open_priorities
from frontline.cases.units import attach_units as attach_units
from frontline.cases.units import detach_unit as detach_unit
from frontline.core import chunk, clock, rows
from frontline.core.db import atomic_service
from frontline.core.doors import door
from frontline.core.errors import NotAllowed, ServiceError, require_choice
from frontline.customers.mentions import named_units
from frontline.customers.models import (
    Customer,
    Person,
    ServiceUnit,
)
from frontline.events.services import written_together


def _receive(
    case: Case, *, channel, body, subject, requester, sender, raw_source, by, via, first=False, **extra
) -> Message:
    """Store one contact from the customer and its event, as given by the channel."""
    message = add_message(
        case,
        first=first,
        channel=channel,
        direction=Direction.INBOUND,
        author_person=requester,
        sender=sender[:255],
        subject=subject[:255],
        body_text=body,
        raw_source=raw_source,
        **extra,
    )
    events.message_received(
        case=case, message=message, by=by, actor_label=sender or channel, via=via or channel
    )
    return message


def known_to_act_for(person_id: int, customer_ids) -> None:
    """What a caller has just read: the person acts for these accounts. Kept for the intake chunk, so that
    open_case need not ask the database again of its requester."""
    for customer_id in customer_ids:
        chunk.remember(("acts-for", person_id, customer_id), True)


def _acts_for(person_id: int, customer_id: int) -> bool:
    """(Plain SQL: every new case from a known person asks it; intake has read it already.)"""
    if chunk.recall(("acts-for", person_id, customer_id)):
        return True
    membership = "SELECT 1 FROM customers_membership WHERE person_id = %s AND customer_id = %s"
    return rows.fetch_one(membership, [person_id, customer_id]) is not None


@atomic_service  # intake reads each message in a savepoint of its own: no second one
def open_case(
    *,
    customer: Customer,
    subject: str,
    body: str,
    channel: str,
    impact: str = Impact.QUESTION,
    requester: Person | None = None,
    sender: str = "",
    units: list[ServiceUnit] | tuple = (),
    topic=None,
    problem_started_at=None,
    raw_source: bytes = b"",
    by: Agent | None = None,
    via: str = "",
    acknowledged_at=None,
    triage: Callable[[Case, str], None] | None = None,
    **message_fields,
) -> Case:
    """A new problem. The customer's clock starts when they say it started, else now. `acknowledged_at`:
    when the caller has queued the customer's acknowledgement with it (intake), written with the case.
    `triage(case, opening words)`: what decides a new case's repeat, topic, owner and score
    (routing.triage_unwritten), called before the case is written, so that its row is written once, with
    them (a second write touched every one of the case's 14 indexes)."""
    subject, body = subject.strip(), body.strip()
    if not subject:
        raise ServiceError("subject is required", field="subject")
    if not body:
        raise ServiceError("body is required", field="body")
    require_choice(channel, Channel, "channel")
    require_choice(impact, Impact, "impact")
    if requester is not None and not _acts_for(requester.pk, customer.pk):
        raise ServiceError(f"{requester} does not act for {customer}", field="requester")
    if any(unit.customer_id != customer.pk for unit in units):
        raise ServiceError("an affected unit belongs to another customer", field="units")
    named = not units  # a case opened without units gets those its words name, shown as such
    if named:
        units = named_units(customer.pk, f"{subject}\n{body}")
    now = clock.now()
    started = min(problem_started_at or now, now)
    case = rows.new(
        Case,
        customer=customer,
        requester=requester,
        subject=subject[:255],
        status=CaseStatus.NEW,
        is_open=True,
        impact=impact,
        topic=topic,
        problem_started_at=started,
        created_at=now,
        updated_at=now,
        last_customer_contact_at=now,
        awaiting_answer_since=now,
        affected_reach=sum(unit.end_users for unit in units),
        acknowledged_at=acknowledged_at,
    )
    case.response_due_at = response_due(case, now)  # our first answer is due; nobody owns it yet
    # Kept on the instance for the callers (intake, triage) that need what the case was just opened with.
    case.opening_units = list(units)
    with written_together():  # the opening's events in one statement, naming the case before it is written
        events.case_opened(case=case, by=by, actor_label=sender or channel, via=via or channel)
        if named and units:
            events.units_attached(
                case=case, units=units, reason=units_of_case.NAMED, by=None, via=via or channel
            )
        if triage is not None:
            triage(case, body)  # which scores the case last
        else:
            set_priority(case)
        rows.insert(case)  # plain SQL, as the case's reads and writes on intake's path
        if units:
            units_of_case.link(case, units)
        case.opening_message = _receive(
            case,
            channel=channel,
            body=body,
            subject=subject,
            requester=requester,
            sender=sender,
            raw_source=raw_source,
            by=by,
            via=via,
            first=True,
            **message_fields,
        )
    for listener in door("FRONTLINE_CASE_OPENED"):  # correlation: join an incident, count for its rules
        listener(case)
    return case


@atomic_service  # intake reads each message in a savepoint of its own: no second one
def record_inbound_message(
    case: Case,
    *,
    channel: str,
    body: str,
    subject: str = "",
    requester: Person | None = None,
    sender: str = "",
    raw_source: bytes = b"",
    by: Agent | None = None,
    via: str = "",
    **message_fields,
) -> Message:
    """A further contact from the customer on an existing case; a contact on a finished case reopens it."""
    if not body.strip():
        raise ServiceError("body is required", field="body")
    require_choice(channel, Channel, "channel")
    # Plain SQL: every reply intake reads comes here.
    case = rows.get(Case, case.pk, lock=True, follow=("customer",))
    chaser = demand.is_chaser(case, clock.now())  # decided before the insert, so the row is written once
    message = _receive(
        case,
        channel=channel,
        body=body.strip(),
        subject=subject,
        requester=requester,
        sender=sender,
        raw_source=raw_source,
        by=by,
        via=via,
        is_chaser=chaser,
        **message_fields,
    )
    units_of_case.attach_named(case, f"{subject}\n{message.body_text}", via=via or channel)
    case.last_customer_contact_at = message.created_at
    case.awaiting_answer_since = case.awaiting_answer_since or message.created_at
    if chaser:
        demand.record_chaser(case, message, by=by, via=via or channel)
    if not case.is_open:
        reopen(case, by=by, via=via or channel, reason="the customer wrote again")
    elif case.status == CaseStatus.WAITING_CUSTOMER:
        transition(case, CaseStatus.OPEN, by=by, via=via or channel, actor_label="customer replied")
    if case.response_due_at is None:  # a second message before our answer does not restart the clock
        case.response_due_at = response_due(case, message.created_at)
    case.updated_at = clock.now()
    set_priority(case)
    # Only what a contact can change: this runs for every message intake reads.
    rows.update(case, CONTACT_CHANGES)
    return message


CONTACT_CHANGES = [
    "affected_reach",
    "last_customer_contact_at",
    "awaiting_answer_since",
    "response_due_at",
    "chaser_count",
    "demand_type",
    "failure_reason",
    "updated_at",
    "priority",
    "priority_explanation",
    "status",
    "is_open",
    "reopen_count",
    "resolved_at",
    "closed_at",
]


@transaction.atomic
def assign_case(case: Case, *, assignee: Agent | None, by: Agent, via: str = "web") -> Case:
    """Anyone who works cases may take one nobody owns or let go of their own; giving one to someone else,
    or taking one that someone else owns, takes a lead."""
    require(by, Capability.WORK_CASES)
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
    unowned_or_mine = case.assignee_id in (None, by.pk)
    taking_or_releasing_own = unowned_or_mine and (assignee is None or assignee.pk == by.pk)
    if not taking_or_releasing_own and not by.can(Capability.ASSIGN_OTHERS):
        raise NotAllowed("only a team lead may assign a case to someone else or take it from them")
    if assignee is not None and not assignee.can(Capability.WORK_CASES):
        raise ServiceError(f"{assignee} cannot work cases", field="assignee")
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    if case.routing_explanation:  # a person chose: the router's reasons no longer explain the owner
        case.routing_explanation = {}
        case.save(update_fields=["routing_explanation"])
    set_assignee(case, assignee, by=by, via=via)
    return case


@transaction.atomic
def change_status(
    case: Case, *, status: str, by: Agent, resolution_notes: str = "", via: str = "web"
) -> Case:
    """Move a case on. Resolving needs notes on how, because the next agent learns from them."""
    require(by, Capability.WORK_CASES)
    require_choice(status, CaseStatus, "status")
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
    if case.status == status:
        raise ServiceError(f"the case is already {case.get_status_display().lower()}", field="status")
    if status == CaseStatus.NEW:
        raise ServiceError("a case cannot go back to new", field="status")
    notes = resolution_notes.strip()
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and not (notes or case.resolution_notes):
        raise ServiceError(
            "say how it was resolved: the next agent with this problem learns from it",
            field="resolution_notes",
        )
    if notes:
        case.resolution_notes = notes
    if not case.is_open and status in CaseStatus.open_values():
        reopen(case, by=by, via=via, reason="reopened by staff")
        if status != CaseStatus.OPEN:
            transition(case, status, by=by, via=via)
    else:
        transition(case, status, by=by, via=via)
    case.updated_at = clock.now()
    set_priority(case)
    case.save()
    return case


def refresh_priority(case: Case) -> Case:
    """Recompute one case's score; the periodic job does the same for every open case at once."""
    set_priority(case)
    Case.objects.filter(pk=case.pk).update(
        priority=case.priority, priority_explanation=case.priority_explanation
    )
    return case


@transaction.atomic
def override_priority(
    case: Case, *, by: Agent, points: float, reason: str, hours: float, via: str = "web"
) -> Case:
    """A person adds (or takes) points for a while, with a reason: "the CEO is on the phone", "they are
    away until Monday". It shows as a term of the explanation and stops counting when it expires."""
    require(by, Capability.WORK_CASES)
    reason = reason.strip()
    if not reason:
        raise ServiceError("say why: the override is shown to everyone with its reason", field="reason")
    if not -500 <= points <= 500:
        raise ServiceError("points must be between -500 and 500", field="points")
    if not 0 < hours <= 24 * 14:
        raise ServiceError("an override lasts between a minute and 14 days", field="hours")
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
    case.priority_override_points = float(points)
    case.priority_override_reason = reason[:255]
    case.priority_override_until = clock.now() + datetime.timedelta(hours=hours)
    case.priority_override_by = by
    case.updated_at = clock.now()
    set_priority(case)
    case.save()
    events.priority_overridden(case=case, points=points, reason=reason, by=by, via=via)
    return case


@transaction.atomic
def move_case(case: Case, *, customer: Customer, requester: Person | None, reason: str, by, via: str) -> Case:
    """The case is another account's: its unmatched sender was matched to it. Its clocks and score follow
    the account's tier and plan; the messages keep their authors, `requester` stands for the sender."""
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
    previous = case.customer
    Message.objects.filter(case=case, author_person=case.requester_id).exclude(author_person=None).update(
        author_person=requester
    )
    case.customer, case.requester = customer, requester
    if case.is_open and case.response_due_at is not None:
        case.response_due_at = response_due(case, case.awaiting_answer_since or case.created_at)
    case.updated_at = clock.now()
    set_priority(case)
    case.save()
    events.customer_changed(case=case, previous=previous, reason=reason, by=by, via=via)
    return case


def follow_merges(case: Case) -> Case:
    """The case a contact belongs on: a merged case sends its later contacts to the one it joined."""
    seen = set()
    while case.merged_into_id and case.pk not in seen:
        seen.add(case.pk)
        case = Case.objects.select_related("customer").get(pk=case.merged_into_id)
    return case


@transaction.atomic
def prove_identity(
    case: Case, *, how: str, by: Agent | None = None, reason: str = "", via: str = "web"
) -> Case:
    """The sender of an unproven contact is who they said: they pressed their emailed link (`by` None), or a
    person vouches for them with a reason (shown as such on the case, for ever, in its history)."""
    if by is not None:
        require(by, Capability.WORK_CASES)
        if not reason.strip():
            raise ServiceError("say how you know it is them", field="reason")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not case.unproven_claim:
        return case
    claim, case.unproven_claim = case.unproven_claim, ""
    case.save(update_fields=["unproven_claim"])
    events.identity_proven(case=case, claim=claim, how=how, reason=reason.strip(), by=by, via=via)
    return case


@transaction.atomic
def merge_cases(source: Case, *, into: Case, by: Agent | None, reason: str = "", via: str = "web") -> Case:
    """Fold a second case about the same problem into the first: its messages move, it closes, and
    anything that later threads to it lands on the case it joined. `by` None is intake itself, when a
    message proves two of its cases one thread (a reply read before its original)."""
    if by is not None:
        require(by, Capability.WORK_CASES)
    source = Case.objects.select_for_update().select_related("customer").get(pk=source.pk)
    target = Case.objects.select_for_update().select_related("customer").get(pk=follow_merges(into).pk)
    if source.pk == target.pk:
        raise ServiceError("a case cannot be merged into itself", field="into")
    if source.customer_id != target.customer_id:
        raise ServiceError("both cases must be the same customer's", field="into")
    if source.unproven_claim or target.unproven_claim:
        raise ServiceError(
            "someone on that case has not proven who they are: vouch for them first, or wait for their link",
            field="into",
        )
    label = "" if by else "intake"
    moved = list(Message.objects.filter(case=source).values_list("pk", flat=True))
    Message.objects.filter(pk__in=moved).update(case=target)
    search.reindex_case(source.pk)
    search.reindex_case(target.pk)
    target.affected_units.add(*source.affected_units.all())
    target.problem_started_at = min(target.problem_started_at, source.problem_started_at)
    target.last_customer_contact_at = max(
        filter(None, [target.last_customer_contact_at, source.last_customer_contact_at]), default=None
    )
    target.awaiting_answer_since = min(
        filter(None, [target.awaiting_answer_since, source.awaiting_answer_since]), default=None
    )
    target.updated_at = clock.now()
    set_priority(target)
    target.save()
    source.merged_into = target
    source.resolution_notes = source.resolution_notes or f"Merged into {target.ref}: same problem."
    if source.is_open:
        transition(source, CaseStatus.CLOSED, by=by, via=via, actor_label=label or "merged")
    source.updated_at = clock.now()
    set_priority(source)
    source.save()
    events.merged(source=source, target=target, moved=moved, reason=reason, by=by, actor_label=label, via=via)
    return target


@transaction.atomic
def split_message(message: Message, *, by: Agent, via: str = "web") -> Case:
    """One click when intake joined a message to the wrong case: it becomes a case of its own."""
    require(by, Capability.WORK_CASES)
    message = Message.objects.select_related("case__customer").get(pk=message.pk)
    if message.direction != Direction.INBOUND:
        raise ServiceError("only a message from the customer can start a case of its own", field="message")
    old = message.case
    if old.messages.count() == 1:
        raise ServiceError("this message is the whole case already", field="message")
    now = clock.now()
    new = Case(
        customer=old.customer,
        requester=message.author_person,
        subject=(message.subject or old.subject)[:255],
        status=CaseStatus.NEW,
        impact=old.impact,
        topic=old.topic,
        problem_started_at=message.created_at,
        created_at=now,
        updated_at=now,
        last_customer_contact_at=message.created_at,
        awaiting_answer_since=message.created_at,
    )
    set_priority(new)
    new.save()
    Message.objects.filter(pk=message.pk).update(
        case=new, thread_rule="split", thread_confidence=None, thread_reason=f"split from {old.ref}"
    )
    search.index_messages([(message.pk, new.pk, message.subject, message.body_text)], new_cases=True)
    search.reindex_case(old.pk)
    events.message_split(message=message, old=old, new=new, by=by, via=via)
    return new
