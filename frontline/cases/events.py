"""The events the cases app writes: one function per kind, its payload keys fixed here.

Every event of a case carries the case; `message_id` names the message an event is about, which the case
timeline shows beside it.
"""

from frontline.events.models import EVENT_KINDS, EventKind
from frontline.events.services import record


def case_opened(*, case, by, actor_label: str = "", via: str, split_from: str = "") -> None:
    """data: impact, and split_from (the case's reference) when a person split a message off."""
    extra = {"split_from": split_from} if split_from else {}
    record(
        EventKind.CASE_OPENED,
        actor=by,
        actor_label=actor_label,
        via=via,
        case=case,
        impact=case.impact,
        **extra,
    )


def message_received(*, case, message, by, actor_label: str, via: str) -> None:
    """A contact from the customer. The person who wrote, when known, is the event's customer-side actor.
    data: message_id, channel."""
    record(
        EventKind.MESSAGE_RECEIVED,
        actor=by,
        actor_person=message.author_person if by is None else None,
        actor_label=actor_label,
        via=via,
        case=case,
        message_id=message.pk,
        channel=message.channel,
    )


def reply_sent(*, case, message, to: str, by, via: str) -> None:
    """data: message_id, to (the recipients, or "chat")."""
    record(EventKind.REPLY_SENT, actor=by, via=via, case=case, message_id=message.pk, to=to)


def reply_failed(*, case, message, by, via: str) -> None:
    """data: message_id, error (the transport's refusal)."""
    record(
        EventKind.REPLY_FAILED, actor=by, via=via, case=case, message_id=message.pk, error=message.send_error
    )


def acknowledged(*, case, message, attempt) -> None:
    """We told the customer we have their problem. data: message_id, to, error ("" when sent), attempt_id."""
    record(
        EventKind.ACKNOWLEDGED,
        actor_label="frontline",
        via="email",
        case=case,
        message_id=message.pk,
        to=message.recipients,
        error=message.send_error,
        attempt_id=attempt.pk if attempt else None,
    )


def note_added(*, case, message, by, via: str) -> None:
    """data: message_id."""
    record(EventKind.NOTE_ADDED, actor=by, via=via, case=case, message_id=message.pk)


def assigned(*, case, previous_id: int | None, by, actor_label: str, via: str, reason: str = "") -> None:
    """data: assignee_id, assignee (the name, "" for nobody), previous_id; reason when the router chose."""
    extra = {"reason": reason} if reason else {}
    record(
        EventKind.CASE_ASSIGNED,
        actor=by,
        actor_label=actor_label,
        via=via,
        case=case,
        assignee_id=case.assignee_id,
        assignee=str(case.assignee) if case.assignee_id else "",
        previous_id=previous_id,
        **extra,
    )


def status_changed(*, case, previous: str, by, actor_label: str, via: str) -> None:
    """data: status, previous."""
    record(
        EventKind.STATUS_CHANGED,
        actor=by,
        actor_label=actor_label,
        via=via,
        case=case,
        status=case.status,
        previous=previous,
    )


def reopened(*, case, by, reason: str, via: str) -> None:
    """data: reopen_count. The reason is the actor label ("customer wrote again")."""
    record(
        EventKind.CASE_REOPENED,
        actor=by,
        actor_label=reason,
        via=via,
        case=case,
        reopen_count=case.reopen_count,
    )


def priority_overridden(*, case, points: float, reason: str, by, via: str) -> None:
    """data: points, reason, until (ISO time), priority (the score after)."""
    record(
        EventKind.PRIORITY_OVERRIDDEN,
        actor=by,
        via=via,
        case=case,
        points=float(points),
        reason=reason,
        until=case.priority_override_until.isoformat(),
        priority=case.priority,
    )


def identity_proven(*, case, claim: str, how: str, reason: str, by, via: str) -> None:
    """data: claim (who the sender said they were), how (link, vouched, signed), reason (why vouched)."""
    record(
        EventKind.IDENTITY_PROVEN,
        actor=by,
        actor_label="" if by else "the sender",
        via=via,
        case=case,
        claim=claim,
        how=how,
        reason=reason,
    )


def merged(*, source, target, moved: int, reason: str, by, actor_label: str, via: str) -> None:
    """Two events, one on each case. data on the target: merged_case, moved_messages, reason; on the
    source: into, reason."""
    common = {"actor": by, "actor_label": actor_label, "via": via, "reason": reason}
    record(EventKind.CASES_MERGED, case=target, merged_case=source.ref, moved_messages=moved, **common)
    record(EventKind.CASES_MERGED, case=source, into=target.ref, **common)


def message_split(*, message, old, new, by, via: str) -> None:
    """The new case opens; each case says where the message went. data: message_id, and to or source."""
    case_opened(case=new, by=by, via=via, split_from=old.ref)
    record(EventKind.MESSAGE_SPLIT, actor=by, via=via, case=old, message_id=message.pk, to=new.ref)
    record(EventKind.MESSAGE_SPLIT, actor=by, via=via, case=new, message_id=message.pk, source=old.ref)


def call_logged(*, case, message, reached: bool, by, via: str) -> None:
    """data: message_id, reached."""
    record(EventKind.CALL_LOGGED, actor=by, via=via, case=case, message_id=message.pk, reached=reached)


def callback_promised(*, case, number: str, by, via: str) -> None:
    """data: due_at (ISO time), number."""
    due_at = case.callback_due_at.isoformat()
    record(EventKind.CALLBACK_PROMISED, actor=by, via=via, case=case, due_at=due_at, number=number)


def callback_kept(*, case, by, via: str) -> None:
    """data: due_at."""
    record(EventKind.CALLBACK_KEPT, actor=by, via=via, case=case, due_at=case.callback_due_at.isoformat())


def callback_missed(*, case, due_at: str) -> None:
    """Failure demand: the promised time passed without our call. data: due_at."""
    record(EventKind.CALLBACK_MISSED, actor_label="worker", via="worker", case=case, due_at=due_at)


def chaser_recorded(*, case, message, overdue_minutes: int, by, via: str) -> None:
    """Failure demand: the customer chased us after our silence. data: rule ("chaser"), message_id,
    overdue_minutes."""
    record(
        EventKind.DEMAND_RECORDED,
        actor=by,
        actor_label="" if by else "frontline",
        via=via,
        case=case,
        rule="chaser",
        message_id=message.pk,
        overdue_minutes=overdue_minutes,
    )


def repeat_recorded(*, case, earlier, via: str) -> None:
    """Failure demand: the same problem again within the repeat window. data: rule ("repeat"), repeat_of."""
    record(
        EventKind.DEMAND_RECORDED,
        actor_label="frontline",
        via=via,
        case=case,
        rule="repeat",
        repeat_of=earlier.ref,
    )


FIX_CONFIRMED = EVENT_KINDS.declare("case.fix_confirmed", "Customer answered: is it fixed?")


def fix_confirmed(*, case, answer: str, words: str, via: str) -> None:
    """The customer's answer to our confirmation ask. data: answer (yes, no, partly), words."""
    record(FIX_CONFIRMED, actor_label="customer", via=via, case=case, answer=answer, words=words)


FIX_UNCONFIRMED = EVENT_KINDS.declare("case.fix_unconfirmed", "Closed without the customer's answer")


def fix_unconfirmed(*, case, days: int) -> None:
    """We asked whether the fix works and heard nothing: closed as unconfirmed, which the measures count
    apart from a confirmed fix. data: days (how long we waited)."""
    record(FIX_UNCONFIRMED, actor_label="frontline", via="worker", case=case, days=days)


UNITS_ATTACHED = EVENT_KINDS.declare("case.units_attached", "Units attached")


def units_attached(*, case, units, reason: str, by, via: str) -> None:
    """Service units the case is about: named in a message, or chosen by a person. data: unit_ids, names,
    reason ("named in the message", or the person's)."""
    record(
        UNITS_ATTACHED,
        actor=by,
        actor_label="" if by else "frontline",
        via=via,
        case=case,
        unit_ids=[u.pk for u in units],
        names=[u.name for u in units],
        reason=reason,
    )


UNIT_DETACHED = EVENT_KINDS.declare("case.unit_detached", "Unit removed")


def unit_detached(*, case, unit, by, via: str) -> None:
    """A person said the case is not about this unit (the words named it in passing). data: unit_id, name."""
    record(UNIT_DETACHED, actor=by, via=via, case=case, unit=unit, unit_id=unit.pk, name=unit.name)


CUSTOMER_CHANGED = EVENT_KINDS.declare("case.customer_changed", "Moved to the sender's account")


def customer_changed(*, case, previous, reason: str, by, via: str) -> None:
    """The case belongs to another account now (its unmatched sender was matched to it). data: from_id,
    from_name, reason."""
    record(
        CUSTOMER_CHANGED,
        actor=by,
        via=via,
        case=case,
        from_id=previous.pk,
        from_name=previous.name,
        reason=reason,
    )
