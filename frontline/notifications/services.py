"""Notifying customers: ladders that climb channel by channel until a person acknowledges.

The life of a notification:

1. `notify` (or `fan_out` for many customers) stores it with a frozen copy of its ladder, first rung due now.
2. `dispatch_due` (a recurring job, once right after a notify, and after each finished batch) claims due
   notifications under a lease and enqueues `run_rungs` for them in batches, on whichever task backend is
   configured (durable rows or RQ).
3. `run_rungs` sends each rung to each contact point: the attempts are committed as "sending" before the
   transports are called and the answers written after, with a deterministic idempotency key per rung and
   contact point. Then each notification moves to its next rung, due after that rung's wait (at once when
   nothing was accepted: an email that bounced at once should not make the SMS wait).
4. `acknowledge` stops the ladder, and nothing else, whichever way the customer confirmed.

A worker killed anywhere in 3 leaves the claim to expire; the rung runs again (rungs.py says how).

This module is the app's door: pages, API, tasks and other apps call the names here. The code lives by
concern beside it: `ladders`, `rungs` (the runner), `acknowledgements`, `evidence` (what we can show).
"""

from django.db import transaction

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases.models import Case
from frontline.core import clock
from frontline.core.db import among, batched, is_row_id
from frontline.core.errors import ServiceError, require_choice
from frontline.customers.models import Customer, ServiceUnit
from frontline.notifications import events, storing
from frontline.notifications.acknowledgements import ACK_SALT as ACK_SALT
from frontline.notifications.acknowledgements import ack_link as ack_link
from frontline.notifications.acknowledgements import acknowledge as acknowledge
from frontline.notifications.acknowledgements import acknowledge_by_link as acknowledge_by_link
from frontline.notifications.acknowledgements import acknowledge_by_reply as acknowledge_by_reply
from frontline.notifications.acknowledgements import acknowledge_by_sms as acknowledge_by_sms
from frontline.notifications.acknowledgements import notification_for_link as notification_for_link
from frontline.notifications.acknowledgements import record_phone_confirmation as record_phone_confirmation
from frontline.notifications.audience import Recipient as Recipient
from frontline.notifications.audience import recipients as recipients
from frontline.notifications.evidence import evidence_timeline as evidence_timeline
from frontline.notifications.evidence import fanout_progress as fanout_progress
from frontline.notifications.ladders import choose_ladder as choose_ladder
from frontline.notifications.ladders import ensure_default_ladders as ensure_default_ladders
from frontline.notifications.ladders import time_to_human_rung as time_to_human_rung
from frontline.notifications.ladders import validate_steps as validate_steps
from frontline.notifications.models import (
    FanOut,
    Ladder,
    Notification,
    NotificationStatus,
    SubjectKind,
    Urgency,
)
from frontline.notifications.rungs import claim_due as claim_due
from frontline.notifications.rungs import dispatch_due as dispatch_due
from frontline.notifications.rungs import dispatch_soon
from frontline.notifications.rungs import escalate_after_bounce as escalate_after_bounce
from frontline.notifications.rungs import run_rung as run_rung
from frontline.notifications.rungs import run_rungs as run_rungs
from frontline.notifications.rungs import send_and_record as send_and_record

# ---------------------------------------------------------------- ladders


# ---------------------------------------------------------------- starting


def _check(subject_kind: str, urgency: str, title: str, body: str) -> tuple[str, str]:
    require_choice(subject_kind, SubjectKind, "subject_kind")
    require_choice(urgency, Urgency, "urgency")
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise ServiceError("a notification needs a title and a text", field="title" if not title else "body")
    if len(title) > 200:
        raise ServiceError("the title is longer than 200 characters", field="title")
    return title, body


def notify(
    customer: Customer,
    *,
    subject_kind: str,
    subject_id,
    title: str,
    body: str,
    urgency: str = Urgency.URGENT,
    case=None,
    ladder: Ladder | None = None,
    by=None,
    via: str = "",
) -> Notification:
    """Start a ladder for one customer. Its first rung goes out as soon as a worker takes it."""
    title, body = _check(subject_kind, urgency, title, body)
    ladder = ladder or choose_ladder(subject_kind, urgency)
    with transaction.atomic():
        notification = storing.new_notification(
            customer.pk,
            subject_kind=subject_kind,
            subject_id=subject_id,
            title=title,
            body=body,
            urgency=urgency,
            ladder=ladder,
            now=clock.now(),
            case=case,
        )
        notification.customer = customer  # the event reads it: not again from the database
        notification.save()
        events.notification_started(notification=notification, ladder=ladder, by=by, via=via)
        transaction.on_commit(dispatch_soon)
    return notification


@transaction.atomic
def fan_out(
    *,
    subject_kind: str,
    subject_id,
    title: str,
    body: str,
    urgency: str = Urgency.URGENT,
    customers=None,
    units=None,
    cases=None,
    by=None,
    via: str = "",
) -> FanOut:
    """Notify every customer given, the owners of every service unit given and the customers of every case
    given, once each; a person acting for several of them gets one notice naming the accounts
    (`audience.recipients`). Telling many customers at once is a lead's action (RUN_INCIDENTS)."""
    if by is not None:
        require(by, Capability.RUN_INCIDENTS)
    title, body = _check(subject_kind, urgency, title, body)
    ids = {c.pk if isinstance(c, Customer) else int(c) for c in customers or []}
    chosen_cases = list(cases or [])
    ids.update(case.customer_id for case in chosen_cases)
    unit_ids = [u.pk if isinstance(u, ServiceUnit) else int(u) for u in units or []]
    known = set()  # an id no row can have is simply unknown
    for chunk in batched(sorted(i for i in ids if is_row_id(i)), 5000):
        known.update(Customer.objects.filter(among("pk", chunk)).values_list("pk", flat=True))
    if ids - known:
        unknown = sorted(ids - known)
        raise ServiceError(
            f"no customer {', '.join(map(str, unknown[:10]))}{' and more' if len(unknown) > 10 else ''}",
            field="customers",
        )
    found_units = 0
    for chunk in batched([i for i in unit_ids if is_row_id(i)], 5000):
        owners = list(ServiceUnit.objects.filter(among("pk", chunk)).values_list("customer_id", flat=True))
        found_units += len(owners)
        ids.update(owners)
    if found_units < len(set(unit_ids)):
        raise ServiceError("some of the service units given do not exist", field="units")
    if not ids:
        raise ServiceError("nobody to notify: give customers, service units or cases", field="customers")
    fanout = _start_fan_out(
        recipients(sorted(ids)),  # one notice per person per subject, however many accounts they act for
        subject_kind=subject_kind,
        subject_id=subject_id,
        title=title,
        body=body,
        urgency=urgency,
        by=by,
        via=via,
    )
    covered = {case.pk for case in chosen_cases}
    for chunk in batched([i for i in unit_ids if is_row_id(i)], 5000):
        covered.update(
            Case.objects.filter(is_open=True, affected_units__in=chunk)
            .values_list("pk", flat=True)
            .distinct()
        )
    if covered:
        fanout.cases.add(*sorted(covered))
    return fanout


def fan_out_to(
    recipients: list[Recipient],
    *,
    subject_kind: str,
    subject_id,
    title: str,
    body: str,
    urgency: str = Urgency.URGENT,
    by=None,
    via: str = "",
) -> FanOut:
    """Start one notice per recipient, as one fan-out whose progress is counted from below."""
    title, body = _check(subject_kind, urgency, title, body)
    return _start_fan_out(
        recipients,
        subject_kind=subject_kind,
        subject_id=subject_id,
        title=title,
        body=body,
        urgency=urgency,
        by=by,
        via=via,
    )


def _start_fan_out(recipients, *, subject_kind, subject_id, title, body, urgency, by, via) -> FanOut:
    """What both fan-outs share, once their input was checked: the fan-out, its first notices and its
    event; a job stores the rest (storing.py)."""
    ladder = choose_ladder(subject_kind, urgency)
    with transaction.atomic():
        fanout = storing.start(
            recipients,
            subject_kind=subject_kind,
            subject_id=subject_id,
            title=title,
            body=body,
            urgency=urgency,
            ladder=ladder,
            by=by,
        )
        events.fanout_started(fanout=fanout, customers=fanout.total, ladder=ladder, by=by, via=via)
    return fanout


# ---------------------------------------------------------------- running rungs


# ---------------------------------------------------------------- acknowledging


def cancel(notification: Notification, *, by, reason: str) -> Notification:
    if not reason.strip():
        raise ServiceError("say why it is withdrawn", field="reason")
    with transaction.atomic():
        stopped = Notification.objects.filter(pk=notification.pk, status=NotificationStatus.ACTIVE).update(
            status=NotificationStatus.CANCELLED, next_due_at=None, claim_token="", finished_at=clock.now()
        )
        if not stopped:
            raise ServiceError("only a notification still climbing can be withdrawn", field="status")
        events.notification_cancelled(notification=notification, reason=reason.strip(), by=by)
    notification.refresh_from_db()
    return notification


# ---------------------------------------------------------------- progress and evidence
