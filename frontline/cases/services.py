"""Every change to a case goes through here: pages, API, tasks, commands and admin actions alike.

Each function is one transaction that writes its event beside its change. The one exception is a reply:
the message is committed before it is handed to the mail server and the outcome recorded after, so a
slow or broken server never holds the database and never loses what the agent wrote.
"""

import datetime

from django.conf import settings
from django.db import transaction

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.cases import clocks, demand, events, priority, search, signals
from frontline.cases.models import Case, CaseStatus, Channel, DemandType, Direction, Impact, Message
from frontline.core import clock
from frontline.core.errors import NotAllowed, ServiceError, require_choice
from frontline.customers.models import (
    ContactKind,
    ContactPoint,
    ContactState,
    Customer,
    Person,
    ServiceUnit,
)
from frontline.customers.queries import points_by_customer
from frontline.delivery import services as delivery
from frontline.scheduling.later import later
from frontline.todos import services as todos
from frontline.todos.models import ToDo, ToDoKind, ToDoStatus


def _add_message(case: Case, **fields) -> Message:
    message = Message.objects.create(case=case, created_at=clock.now(), **fields)
    search.index_messages([(message.pk, case.pk, message.subject, message.body_text)])
    return message


def _receive(
    case: Case, *, channel, body, subject, requester, sender, raw_source, by, via, **extra
) -> Message:
    """Store one contact from the customer and its event, as given by the channel."""
    message = _add_message(
        case,
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


def _set_priority(case: Case) -> None:
    case.priority, case.priority_explanation = priority.compute_for(case)


@transaction.atomic
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
    **message_fields,
) -> Case:
    """A new problem. The customer's clock starts when they say it started, else now."""
    subject, body = subject.strip(), body.strip()
    if not subject:
        raise ServiceError("subject is required", field="subject")
    if not body:
        raise ServiceError("body is required", field="body")
    require_choice(channel, Channel, "channel")
    require_choice(impact, Impact, "impact")
    if requester is not None and not requester.memberships.filter(customer=customer).exists():
        raise ServiceError(f"{requester} does not act for {customer}", field="requester")
    if any(unit.customer_id != customer.pk for unit in units):
        raise ServiceError("an affected unit belongs to another customer", field="units")
    now = clock.now()
    started = min(problem_started_at or now, now)
    case = Case(
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
        affected_reach=sum(unit.end_users for unit in units),
    )
    case.response_due_at = _response_due(case, now)  # our first answer is due; nobody owns it yet
    _set_priority(case)
    case.save()
    if units:
        case.affected_units.set(units)
    events.case_opened(case=case, by=by, actor_label=sender or channel, via=via or channel)
    # Kept on the instance for the caller (intake) that needs the message it just opened the case with.
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
        **message_fields,
    )
    return case


@transaction.atomic
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
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
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
    case.last_customer_contact_at = message.created_at
    if chaser:
        demand.record_chaser(case, message, by=by, via=via or channel)
    if not case.is_open:
        _reopen(case, by=by, via=via or channel, reason="the customer wrote again")
    elif case.status == CaseStatus.WAITING_CUSTOMER:
        _transition(case, CaseStatus.OPEN, by=by, via=via or channel, actor_label="customer replied")
    if case.response_due_at is None:  # a second message before our answer does not restart the clock
        case.response_due_at = _response_due(case, message.created_at)
    case.updated_at = clock.now()
    _set_priority(case)
    # Only what a contact can change: this runs for every message intake reads.
    case.save(update_fields=CONTACT_CHANGES)
    return message


CONTACT_CHANGES = [
    "last_customer_contact_at",
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


def _response_due(case: Case, contact_at):
    return clocks.response_due(
        tier=case.customer.tier,
        plan=case.customer.plan,
        impact=case.impact,
        contact_at=contact_at,
        first=case.first_response_at is None,
        team=clocks.team_for_clocks(case),
    )


def _answered(case: Case, at) -> None:
    """We answered the customer: the response clock stops and the silence term goes."""
    case.first_response_at = case.first_response_at or at
    case.last_provider_contact_at = at
    case.response_due_at = None


def reply_address(case: Case) -> str:
    """support+C-12@domain: a reply to it threads by the address even if the subject is rewritten."""
    local, _, domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")
    return f"{local}+{case.ref}@{domain}" if local else settings.DEFAULT_FROM_EMAIL


def _thread_headers(case: Case) -> dict:
    """In-Reply-To and References to the customer's last mail and the thread's Message-IDs."""
    ids = list(
        Message.objects.filter(case=case, channel=Channel.EMAIL)
        .exclude(message_id="")
        .order_by("-created_at", "-pk")
        .values_list("message_id", "direction")[:20]
    )
    headers = {
        "Reply-To": reply_address(case),
        "X-Frontline-Case": case.ref,
        "X-Frontline-Instance": settings.FRONTLINE_INSTANCE_ID,
    }
    if ids:
        last_inbound = next((mid for mid, direction in ids if direction == Direction.INBOUND), ids[0][0])
        headers["In-Reply-To"] = last_inbound
        headers["References"] = " ".join(mid for mid, _ in reversed(ids))
    return headers


def _send_on_case(
    case: Case, *, body: str, author: Agent | None, automatic: bool = False
) -> tuple[Message, object]:
    """Commit our message, then hand it to the mail server, then record the answer: never lost, never
    silently failed. Answers the message and its delivery attempt (None when there is no address)."""

    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
        point = _recipient_for(case)
        message = _add_message(
            case,
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            author_agent=author,
            sender=settings.DEFAULT_FROM_EMAIL,
            recipients=point.value if point else "",
            subject=f"[{case.ref}] {case.subject}"[:255],
            body_text=body,
            message_id=delivery.new_message_id(),
        )
    if point is None:
        error = "no working email address for this customer"
        Message.objects.filter(pk=message.pk).update(send_error=error)
        message.send_error = error
        return message, None
    headers = _thread_headers(case)
    if automatic:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer it
    attempt, raw = delivery.send_email(
        subject=message.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        address=point.value,
        headers=headers,
        message_id=message.message_id,
        case=case,
        message=message,
        contact_point=point,
    )
    if attempt.failed:
        message.send_error = f"{attempt.reply_code or ''} {attempt.reply_text}".strip()
    else:
        message.sent_at = attempt.answered_at
    message.raw_source = raw
    Message.objects.filter(pk=message.pk).update(
        send_error=message.send_error, sent_at=message.sent_at, raw_source=raw
    )
    return message, attempt


def reply_to_case(case: Case, *, agent: Agent, body: str, via: str = "web") -> Message:
    """Record an agent's reply, send it by email, and record what the mail server answered."""
    require(agent, Capability.WORK_CASES)
    body = body.strip()
    if not body:
        raise ServiceError("the reply is empty", field="body")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
        now = clock.now()
        _answered(case, now)
        case.updated_at = now
        if case.status == CaseStatus.NEW:
            _transition(case, CaseStatus.OPEN, by=agent, via=via)
        _set_priority(case)
        case.save()
    if _last_inbound_channel(case) == Channel.CHAT and case.chat_sessions.exists():
        return _reply_in_chat(case, agent=agent, body=body, via=via)
    message, _attempt = _send_on_case(case, body=body, author=agent)
    with transaction.atomic():
        if message.send_error:
            events.reply_failed(case=case, message=message, by=agent, via=via)
        else:
            events.reply_sent(case=case, message=message, to=message.recipients, by=agent, via=via)
    return message


def _last_inbound_channel(case: Case) -> str:
    return (
        Message.objects.filter(case=case, direction=Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .values_list("channel", flat=True)
        .first()
        or ""
    )


@transaction.atomic
def _reply_in_chat(case: Case, *, agent: Agent, body: str, via: str) -> Message:
    """A live chat is answered in the chat: the visitor's widget polls for it."""
    message = _add_message(
        case,
        channel=Channel.CHAT,
        direction=Direction.OUTBOUND,
        author_agent=agent,
        sender=str(agent),
        body_text=body,
        sent_at=clock.now(),
    )
    events.reply_sent(case=case, message=message, to="chat", by=agent, via=via)
    return message


ACKNOWLEDGEMENT = (
    "Hello{name},\n\n"
    "thank you: your message is with us as {ref}, and {owner} will come back to you. "
    "If you write again about this, just reply to this email and it joins the same case.\n\n"
    "{team}"
)


def acknowledge(case: Case, *, person_name: str = "") -> Message | None:
    """The short human note that tells a customer we have their problem, with the case reference."""
    case = Case.objects.select_related("customer", "assignee").get(pk=case.pk)
    owner = case.assignee.display_name if case.assignee_id else "one of our team"
    first_name = person_name.split()[0] if person_name.split() else ""
    body = ACKNOWLEDGEMENT.format(
        name=f" {first_name}" if first_name else "",
        ref=case.ref,
        owner=owner,
        team=settings.FRONTLINE_TEAM_SIGNATURE,
    )
    message, attempt = _send_on_case(case, body=body, author=None, automatic=True)
    with transaction.atomic():
        events.acknowledged(case=case, message=message, attempt=attempt)
    return message


def _recipient_for(case: Case) -> ContactPoint | None:
    """The requester's working email address, else any working email address of the account."""
    emails = ContactPoint.objects.filter(kind=ContactKind.EMAIL).exclude(state=ContactState.FAILING)
    if case.requester_id:
        point = emails.filter(person_id=case.requester_id).order_by("-state", "pk").first()
        if point:
            return point
    candidates = points_by_customer([case.customer_id], emails).get(case.customer_id, [])
    # verified before unverified, then the oldest
    return min(candidates, key=lambda point: (point.state != ContactState.VERIFIED, point.pk), default=None)


@transaction.atomic
def add_internal_note(case: Case, *, agent: Agent, body: str, via: str = "web") -> Message:
    require(agent, Capability.WORK_CASES)
    if not body.strip():
        raise ServiceError("the note is empty", field="body")
    message = _add_message(
        case, channel=Channel.NOTE, direction=Direction.INTERNAL, author_agent=agent, body_text=body.strip()
    )
    events.note_added(case=case, message=message, by=agent, via=via)
    Case.objects.filter(pk=case.pk).update(updated_at=clock.now())
    return message


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
    _set_assignee(case, assignee, by=by, via=via)
    return case


def _set_assignee(
    case: Case, assignee: Agent | None, *, by, via: str, actor_label: str = "", reason: str = ""
) -> None:
    previous = case.assignee_id
    case.assignee = assignee
    case.assigned_at = case.updated_at = clock.now()
    case.save(update_fields=["assignee", "assigned_at", "updated_at"])
    events.assigned(case=case, previous_id=previous, by=by, actor_label=actor_label, via=via, reason=reason)


def _transition(case: Case, status: str, *, by, via: str, actor_label: str = "") -> None:
    previous = case.status
    case.status = status
    case.is_open = status in CaseStatus.open_values()
    now = clock.now()
    if status == CaseStatus.RESOLVED:
        case.resolved_at = now
    if status == CaseStatus.CLOSED:
        case.closed_at = now
    if not case.is_open:
        case.response_due_at = None  # nothing is owed on a finished case
    if previous in CaseStatus.open_values() and not case.is_open:
        signals.case_finished.send(sender=Case, case=case)
    events.status_changed(case=case, previous=previous, by=by, actor_label=actor_label, via=via)


def _reopen(case: Case, *, by, via: str, reason: str) -> None:
    case.reopen_count += 1
    signals.case_reopened.send(sender=Case, case=case)
    case.resolved_at = None
    case.closed_at = None
    _transition(case, CaseStatus.OPEN, by=by, via=via, actor_label=reason)
    events.reopened(case=case, by=by, reason=reason, via=via)


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
        _reopen(case, by=by, via=via, reason="reopened by staff")
        if status != CaseStatus.OPEN:
            _transition(case, status, by=by, via=via)
    else:
        _transition(case, status, by=by, via=via)
    case.updated_at = clock.now()
    _set_priority(case)
    case.save()
    return case


def refresh_priority(case: Case) -> Case:
    """Recompute one case's score; the periodic job does the same for every open case at once."""
    _set_priority(case)
    Case.objects.filter(pk=case.pk).update(
        priority=case.priority, priority_explanation=case.priority_explanation
    )
    return case


_SCORED_FIELDS = (
    "pk",
    "customer_id",
    "impact",
    "problem_started_at",
    "affected_reach",
    "last_customer_contact_at",
    "last_provider_contact_at",
    "demand_type",
    "failure_reason",
    "chaser_count",
    "repeat_of_id",
    "callback_due_at",
    "created_at",
    "priority_override_points",
    "priority_override_reason",
    "priority_override_until",
    "priority_override_by__display_name",
    "customer__tier",
    "customer__customer_since",
    "customer__monthly_value",
)


# A stored score is rewritten when it moves by at least this much. Every row rewritten costs SQLite about
# 0.1 ms (the row and the four indexes that hold the score), so a pass over a million open cases writes only
# those that moved: a question gains a point every four hours, an outage every fifteen minutes. The case page
# and the API compute the score and its reasons afresh when they show it.
RESCORE_STEP = 1.0


def refresh_open_priorities(batch_size: int = 1000, step: float = RESCORE_STEP) -> int:
    """Age every open case's score: time adds points and overrides expire. A derived number, not a state
    change, so it writes no event. Reads a batch as plain values and writes back, in one short transaction,
    the scores that moved by `step` or more, so intake keeps writing between batches. Answers how many
    scores it rewrote."""
    from django.db import connection

    explanation_field = Case._meta.get_field("priority_explanation")
    table = connection.ops.quote_name(Case._meta.db_table)
    sql = f"UPDATE {table} SET priority = %s, priority_explanation = %s WHERE id = %s"
    now = clock.now()
    # SQLite's driver gives naive UTC timestamps: scoring against a naive "now" spares a million conversions.
    row_now = now.replace(tzinfo=None) if connection.vendor == "sqlite" else now
    recent_since = row_now - datetime.timedelta(days=priority.RECENT_FAILURE_DAYS)
    failures = priority.count_recent_failures(None)  # one pass over the failure-demand cases, not per batch
    rewritten, last_pk = 0, 0
    while True:
        batch = Case.objects.filter(is_open=True, pk__gt=last_pk).order_by("pk")
        rows = _raw_rows(batch.values_list(*_SCORED_FIELDS, "priority")[:batch_size])
        if not rows:
            return rewritten
        updates = []
        for (
            pk,
            customer_id,
            impact,
            started,
            reach,
            last_in,
            last_out,
            demand_type,
            failure_reason,
            chasers,
            repeat_of,
            callback_due,
            created,
            o_points,
            o_reason,
            o_until,
            o_by,
            tier,
            since,
            value,
            stored,
        ) in rows:
            own = demand_type == DemandType.FAILURE and created >= recent_since
            facts = priority.Facts(
                impact=impact,
                problem_started_at=started,
                tier=tier,
                reach=reach,
                last_customer_contact_at=last_in,
                last_provider_contact_at=last_out,
                demand_type=demand_type,
                failure_reason=failure_reason,
                chaser_count=chasers,
                repeat_of=f"C-{repeat_of}" if repeat_of else "",
                callback_due_at=callback_due,
                customer_since=since,
                monthly_value=float(value or 0),
                recent_failures=failures.get(customer_id, 0) - own,
                override_points=o_points,
                override_reason=o_reason,
                override_until=o_until,
                override_by=o_by or "",
            )
            score, _ = priority.compute(facts, row_now, explain=False)
            if abs(score - stored) >= step:
                score, terms = priority.compute(facts, row_now)
                updates.append((score, explanation_field.get_db_prep_save(terms, connection), pk))
        if updates:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, updates)
        rewritten += len(updates)
        last_pk = rows[-1][0]


# Position of the customer's start date in _SCORED_FIELDS.
_DATE = 18


def _raw_rows(values) -> list[list]:
    """The query's rows straight from the driver, without Django's per-value converters (a third of the
    time of a pass over a million cases). On SQLite, timestamps stay naive UTC and dates come as text."""
    from django.db import connection

    sql, params = values.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        rows = [list(row) for row in rows]
        for row in rows:
            if isinstance(row[_DATE], str):
                row[_DATE] = datetime.date.fromisoformat(row[_DATE])
    return rows


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
    _set_priority(case)
    case.save()
    events.priority_overridden(case=case, points=points, reason=reason, by=by, via=via)
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
    target.updated_at = clock.now()
    _set_priority(target)
    target.save()
    source.merged_into = target
    source.resolution_notes = source.resolution_notes or f"Merged into {target.ref}: same problem."
    if source.is_open:
        _transition(source, CaseStatus.CLOSED, by=by, via=via, actor_label=label or "merged")
    source.updated_at = clock.now()
    _set_priority(source)
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
    )
    _set_priority(new)
    new.save()
    Message.objects.filter(pk=message.pk).update(
        case=new, thread_rule="split", thread_confidence=None, thread_reason=f"split from {old.ref}"
    )
    search.index_messages([(message.pk, new.pk, message.subject, message.body_text)], new_cases=True)
    search.reindex_case(old.pk)
    events.message_split(message=message, old=old, new=new, by=by, via=via)
    return new


@transaction.atomic
def log_outbound_call(
    case: Case,
    *,
    agent: Agent,
    number: str,
    summary: str,
    duration_seconds: int = 0,
    reached: bool = True,
    via: str = "web",
) -> Message:
    """We called the customer. A call made before a promised time keeps the promise."""
    require(agent, Capability.WORK_CASES)
    if not summary.strip():
        raise ServiceError("say what was said (or that nobody answered)", field="summary")
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
    message = _add_message(
        case,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        author_agent=agent,
        recipients=number[:255],
        body_text=summary.strip(),
        duration_seconds=max(int(duration_seconds or 0), 0),
        sent_at=clock.now(),
    )
    events.call_logged(case=case, message=message, reached=reached, by=agent, via=via)
    now = clock.now()
    if reached:
        _answered(case, now)
        if case.callback_due_at is not None:
            kept = now <= case.callback_due_at
            if kept:
                events.callback_kept(case=case, by=agent, via=via)
            case.callback_due_at = None
            _finish_callback_todos(case, agent, "called: " + summary.strip()[:200])
    case.updated_at = now
    _set_priority(case)
    case.save()
    return message


def _finish_callback_todos(case: Case, agent: Agent, outcome: str) -> None:

    for todo in ToDo.objects.filter(case=case, kind=ToDoKind.CALL_BACK, status=ToDoStatus.OPEN):
        todos.finish_todo(todo, by=agent, outcome=outcome)


def promise_callback(case: Case, *, agent: Agent, due_at, number: str = "", via: str = "web"):
    """ "We will call you back by ...": a clock on the case, a to-do for staff, and a job at the time."""

    require(agent, Capability.WORK_CASES)
    if due_at <= clock.now():
        raise ServiceError("a callback is promised for a time still to come", field="due_at")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
        case.callback_due_at = due_at
        case.updated_at = clock.now()
        case.save(update_fields=["callback_due_at", "updated_at"])
        events.callback_promised(case=case, number=number, by=agent, via=via)
        todo = todos.raise_todo(
            kind=ToDoKind.CALL_BACK,
            title=f"Call {case.customer.name} back by {due_at:%Y-%m-%d %H:%M} UTC ({case.ref})",
            detail=f"Number: {number}" if number else "",
            case=case,
            assignee=case.assignee or agent,
            due_at=due_at,
            by=agent,
            via=via,
        )
        later("frontline.cases.tasks.check_callback", case.pk, due_at.isoformat(), run_after=due_at)
    return todo


@transaction.atomic
def check_callback(case_pk: int, due_at_iso: str) -> bool:
    """At the promised time: if the promise still stands unkept, it is missed. Answers whether it was."""
    case = Case.objects.select_for_update().select_related("customer").get(pk=case_pk)
    if case.callback_due_at is None or case.callback_due_at.isoformat() != due_at_iso:
        return False  # kept, or replaced by a later promise with its own job
    if case.callback_due_at > clock.now():
        return False
    case.demand_type = DemandType.FAILURE
    case.failure_reason = "missed callback promise"
    case.updated_at = clock.now()
    _set_priority(case)
    case.save()
    events.callback_missed(case=case, due_at=due_at_iso)
    return True
