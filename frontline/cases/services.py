"""Every change to a case goes through here: pages, API, tasks, commands and admin actions alike.

Each function is one transaction that writes its event beside its change. The one exception is a reply:
the message is committed before it is handed to the mail server and the outcome recorded after, so a
slow or broken server never holds the database and never loses what the agent wrote.
"""

from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.cases import priority, search
from frontline.cases.models import Case, CaseStatus, Channel, Direction, Impact, Message
from frontline.core import clock
from frontline.core.errors import NotAllowed, ServiceError, require_choice
from frontline.customers.models import ContactKind, ContactPoint, ContactState, Customer, Person, ServiceUnit
from frontline.events.models import EventKind
from frontline.events.services import record


def _add_message(case: Case, **fields) -> Message:
    message = Message.objects.create(case=case, created_at=clock.now(), **fields)
    search.index_messages([(message.pk, case.pk, message.subject, message.body_text)])
    return message


def _receive(case: Case, *, channel, body, subject, requester, sender, raw_source, by, via) -> Message:
    """Store one contact from the customer and its event, as given by the channel."""
    message = _add_message(
        case,
        channel=channel,
        direction=Direction.INBOUND,
        author_person=requester,
        sender=sender,
        subject=subject[:255],
        body_text=body,
        raw_source=raw_source,
    )
    record(
        EventKind.MESSAGE_RECEIVED,
        actor=by,
        actor_label=sender or channel,
        via=via or channel,
        case=case,
        message_id=message.pk,
        channel=channel,
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
    )
    _set_priority(case)
    case.save()
    if units:
        case.affected_units.set(units)
    record(
        EventKind.CASE_OPENED,
        actor=by,
        actor_label=sender or channel,
        via=via or channel,
        case=case,
        impact=impact,
        priority=case.priority,
    )
    _receive(
        case,
        channel=channel,
        body=body,
        subject=subject,
        requester=requester,
        sender=sender,
        raw_source=raw_source,
        by=by,
        via=via,
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
) -> Message:
    """A further contact from the customer on an existing case; a contact on a finished case reopens it."""
    if not body.strip():
        raise ServiceError("body is required", field="body")
    require_choice(channel, Channel, "channel")
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
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
    )
    case.last_customer_contact_at = message.created_at
    if not case.is_open:
        _reopen(case, by=by, via=via or channel, reason="the customer wrote again")
    elif case.status == CaseStatus.WAITING_CUSTOMER:
        _transition(case, CaseStatus.OPEN, by=by, via=via or channel, actor_label="customer replied")
    case.updated_at = clock.now()
    _set_priority(case)
    case.save()
    return message


def _recipient_for(case: Case) -> ContactPoint | None:
    """The requester's working email address, else any working email address of the account."""
    emails = ContactPoint.objects.filter(kind=ContactKind.EMAIL).exclude(state=ContactState.FAILING)
    if case.requester_id:
        point = emails.filter(person_id=case.requester_id).order_by("-state", "pk").first()
        if point:
            return point
    return (
        emails.filter(Q(customer_id=case.customer_id) | Q(person__memberships__customer_id=case.customer_id))
        .order_by("-state", "pk")
        .first()
    )


def reply_to_case(case: Case, *, agent: Agent, body: str, via: str = "web") -> Message:
    """Record an agent's reply, send it by email, and record what the mail server answered."""
    require(agent, Capability.WORK_CASES)
    body = body.strip()
    if not body:
        raise ServiceError("the reply is empty", field="body")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
        point = _recipient_for(case)
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "frontline.invalid"
        message = _add_message(
            case,
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            author_agent=agent,
            sender=settings.DEFAULT_FROM_EMAIL,
            recipients=point.value if point else "",
            subject=f"[{case.ref}] {case.subject}"[:255],
            body_text=body,
            message_id=make_msgid(domain=domain),
        )
        now = clock.now()
        case.first_response_at = case.first_response_at or now
        case.last_provider_contact_at = now
        case.updated_at = now
        if case.status == CaseStatus.NEW:
            _transition(case, CaseStatus.OPEN, by=agent, via=via)
        case.save()
    error = _send(message) if point else "no working email address for this customer"
    with transaction.atomic():
        if error:
            Message.objects.filter(pk=message.pk).update(send_error=error)
            record(
                EventKind.REPLY_FAILED, actor=agent, via=via, case=case, message_id=message.pk, error=error
            )
        else:
            Message.objects.filter(pk=message.pk).update(sent_at=clock.now(), raw_source=message.raw_source)
            record(
                EventKind.REPLY_SENT, actor=agent, via=via, case=case, message_id=message.pk, to=point.value
            )
    message.refresh_from_db()
    return message


def _send(message: Message) -> str:
    """Hand the message to Django's mail backend; answer the error text, or '' when it was accepted."""
    email = EmailMessage(
        subject=message.subject,
        body=message.body_text,
        from_email=message.sender,
        to=[message.recipients],
        headers={"Message-ID": message.message_id},
    )
    message.raw_source = email.message().as_bytes()
    try:
        accepted = email.send(fail_silently=False)
    except Exception as exc:  # any transport failure is recorded on the case, never swallowed
        return f"{type(exc).__name__}: {exc}"[:2000]
    return "" if accepted else "the mail backend accepted no recipient"


@transaction.atomic
def add_internal_note(case: Case, *, agent: Agent, body: str, via: str = "web") -> Message:
    require(agent, Capability.WORK_CASES)
    if not body.strip():
        raise ServiceError("the note is empty", field="body")
    message = _add_message(
        case, channel=Channel.NOTE, direction=Direction.INTERNAL, author_agent=agent, body_text=body.strip()
    )
    record(EventKind.NOTE_ADDED, actor=agent, via=via, case=case, message_id=message.pk)
    Case.objects.filter(pk=case.pk).update(updated_at=clock.now())
    return message


@transaction.atomic
def assign_case(case: Case, *, assignee: Agent | None, by: Agent, via: str = "web") -> Case:
    """Anyone who works cases may take one or let go of their own; giving one to someone else takes a lead."""
    require(by, Capability.WORK_CASES)
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
    taking_or_releasing_own = (assignee is not None and assignee.pk == by.pk) or (
        assignee is None and case.assignee_id in (None, by.pk)
    )
    if not taking_or_releasing_own and not by.can(Capability.ASSIGN_OTHERS):
        raise NotAllowed("only a team lead may assign a case to someone else or take it from them")
    if assignee is not None and not assignee.can(Capability.WORK_CASES):
        raise ServiceError(f"{assignee} cannot work cases", field="assignee")
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    previous = case.assignee_id
    case.assignee = assignee
    case.updated_at = clock.now()
    case.save(update_fields=["assignee", "updated_at"])
    record(
        EventKind.CASE_ASSIGNED,
        actor=by,
        via=via,
        case=case,
        assignee_id=assignee.pk if assignee else None,
        assignee=str(assignee) if assignee else "",
        previous_id=previous,
    )
    return case


def _transition(case: Case, status: str, *, by, via: str, actor_label: str = "") -> None:
    previous = case.status
    case.status = status
    case.is_open = status in CaseStatus.open_values()
    now = clock.now()
    if status == CaseStatus.RESOLVED:
        case.resolved_at = now
    if status == CaseStatus.CLOSED:
        case.closed_at = now
    record(
        EventKind.STATUS_CHANGED,
        actor=by,
        actor_label=actor_label,
        via=via,
        case=case,
        status=status,
        previous=previous,
    )


def _reopen(case: Case, *, by, via: str, reason: str) -> None:
    case.reopen_count += 1
    case.resolved_at = None
    case.closed_at = None
    _transition(case, CaseStatus.OPEN, by=by, via=via, actor_label=reason)
    record(
        EventKind.CASE_REOPENED,
        actor=by,
        actor_label=reason,
        via=via,
        case=case,
        reopen_count=case.reopen_count,
    )


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


def refresh_open_priorities(batch_size: int = 2000) -> int:
    """Age every open case's priority. A derived number, not a state change, so it writes no event."""
    updated = 0
    last_pk = 0
    while True:
        batch = list(
            Case.objects.filter(is_open=True, pk__gt=last_pk)
            .select_related("customer")
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return updated
        now = clock.now()
        for case in batch:
            case.priority, case.priority_explanation = priority.compute_for(case, now=now)
        with transaction.atomic():
            Case.objects.bulk_update(batch, ["priority", "priority_explanation"])
        updated += len(batch)
        last_pk = batch[-1].pk
