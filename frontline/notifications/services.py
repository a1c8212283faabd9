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

A worker killed anywhere in 3 leaves the claim to expire; the rung runs again. Contact points that already
succeeded are skipped, an attempt left "sending" becomes "outcome unknown" and is sent again with the same
key and Message-ID, and a unique index allows one success per key.
"""

import itertools
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q

from frontline.cases.services import reply_address
from frontline.core import clock
from frontline.core.db import is_row_id
from frontline.core.errors import ServiceError, require_choice
from frontline.core.links import NOT_VALID, make_link, read_link
from frontline.customers.models import ContactPoint, ContactState, Customer, ServiceUnit
from frontline.customers.queries import points_by_customer
from frontline.customers.services import normalize_contact
from frontline.delivery.models import SUCCESSES, AttemptStatus, DeliveryAttempt
from frontline.delivery.services import condemn_contact, mail_domain
from frontline.events.models import Event
from frontline.notifications import events
from frontline.notifications.models import (
    Channel,
    FanOut,
    Ladder,
    Notification,
    NotificationStatus,
    SubjectKind,
    Urgency,
)
from frontline.notifications.transports import Outgoing, Transport, TransportError, transport_for
from frontline.scheduling.later import later

ACK_SALT = "frontline.notification-ack"
ACK_MAX_AGE = timedelta(days=14)
BATCH = 50  # notifications per job: one SMTP session, one job row, shared by the batch

# The ladders a new installation starts with; the provider edits them as data (admin).
DEFAULT_LADDERS = [
    {
        "name": "Critical: email, SMS at 15 min, call at 1 h, a person at 4 h",
        "urgency": Urgency.CRITICAL,
        "steps": [
            {"channel": "email", "wait_minutes": 0},
            {"channel": "sms", "wait_minutes": 15},
            {"channel": "voice", "wait_minutes": 45},
            {"channel": "person", "wait_minutes": 180},
        ],
    },
    {
        "name": "Urgent: email, SMS at 1 h, a person at 4 h",
        "urgency": Urgency.URGENT,
        "steps": [
            {"channel": "email", "wait_minutes": 0},
            {"channel": "sms", "wait_minutes": 60},
            {"channel": "person", "wait_minutes": 180},
        ],
    },
    {
        "name": "Routine: email, again after a day",
        "urgency": Urgency.ROUTINE,
        "steps": [{"channel": "email", "wait_minutes": 0}, {"channel": "email", "wait_minutes": 1440}],
    },
]


def _batched(items, size: int):
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# ---------------------------------------------------------------- ladders


def validate_steps(steps) -> list[dict]:
    """A ladder's rungs, checked: a list of {"channel", "wait_minutes"[, "contacts"]}."""
    if not isinstance(steps, list) or not steps:
        raise ServiceError("a ladder needs at least one rung", field="steps")
    clean = []
    for number, step in enumerate(steps, 1):
        if not isinstance(step, dict):
            raise ServiceError(f"rung {number} must be an object", field="steps")
        channel = step.get("channel")
        if channel not in Channel.values:
            raise ServiceError(
                f"rung {number}: channel must be one of {', '.join(Channel.values)}; got {channel!r}",
                field="steps",
            )
        wait = step.get("wait_minutes", 0)
        if not isinstance(wait, int | float) or wait < 0:
            raise ServiceError(f"rung {number}: wait_minutes must be a number ≥ 0", field="steps")
        contacts = step.get("contacts", "working")
        if contacts not in ("working", "verified"):
            raise ServiceError(f"rung {number}: contacts must be 'working' or 'verified'", field="steps")
        clean.append({"channel": channel, "wait_minutes": wait, "contacts": contacts})
    return clean


def ensure_default_ladders() -> None:
    for ladder in DEFAULT_LADDERS:
        Ladder.objects.get_or_create(
            name=ladder["name"],
            defaults={
                "urgency": ladder["urgency"],
                "steps": validate_steps(ladder["steps"]),
                "created_at": clock.now(),
            },
        )


def choose_ladder(subject_kind: str, urgency: str) -> Ladder:
    """The most specific active ladder for the subject kind and urgency (blank fields match anything)."""
    candidates = Ladder.objects.filter(is_active=True).filter(
        Q(subject_kind=subject_kind) | Q(subject_kind=""), Q(urgency=urgency) | Q(urgency="")
    )
    best = max(candidates, key=lambda one: (bool(one.subject_kind), bool(one.urgency), -one.pk), default=None)
    if best is None:
        ensure_default_ladders()
        return choose_ladder(subject_kind, urgency)
    return best


def time_to_human_rung(ladder: Ladder) -> timedelta | None:
    """How long the ladder takes to reach its staff-call rung (None: it has none). The policy engine will
    refuse a grace period shorter than this."""
    elapsed = 0.0
    for step in ladder.steps:
        elapsed += step["wait_minutes"]
        if step["channel"] == Channel.PERSON:
            return timedelta(minutes=elapsed)
    return None


# ---------------------------------------------------------------- starting


def _new_notification(customer_id, *, subject_kind, subject_id, title, body, urgency, ladder, now, **extra):
    first_wait = timedelta(minutes=ladder.steps[0]["wait_minutes"])
    return Notification(
        customer_id=customer_id,
        subject_kind=subject_kind,
        subject_id=str(subject_id),
        urgency=urgency,
        title=title,
        body=body,
        ladder_name=ladder.name,
        steps=ladder.steps,
        next_due_at=now + first_wait,
        created_at=now,
        **extra,
    )


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
        notification = _new_notification(
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
        notification.save()
        events.notification_started(notification=notification, ladder=ladder, by=by, via=via)
        transaction.on_commit(_dispatch_soon)
    return notification


def fan_out(
    *,
    subject_kind: str,
    subject_id,
    title: str,
    body: str,
    urgency: str = Urgency.URGENT,
    customers=None,
    units=None,
    by=None,
    via: str = "",
) -> FanOut:
    """Notify every customer given, or the owners of every service unit given, once each."""
    title, body = _check(subject_kind, urgency, title, body)
    ids = {c.pk if isinstance(c, Customer) else int(c) for c in customers or []}
    unit_ids = [u.pk if isinstance(u, ServiceUnit) else int(u) for u in units or []]
    known = set()  # an id no row can have is simply unknown
    for chunk in _batched(sorted(i for i in ids if is_row_id(i)), 5000):
        known.update(Customer.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    if ids - known:
        unknown = sorted(ids - known)
        raise ServiceError(
            f"no customer {', '.join(map(str, unknown[:10]))}{' and more' if len(unknown) > 10 else ''}",
            field="customers",
        )
    found_units = 0
    for chunk in _batched([i for i in unit_ids if is_row_id(i)], 5000):
        owners = list(ServiceUnit.objects.filter(pk__in=chunk).values_list("customer_id", flat=True))
        found_units += len(owners)
        ids.update(owners)
    if found_units < len(set(unit_ids)):
        raise ServiceError("some of the service units given do not exist", field="units")
    if not ids:
        raise ServiceError("nobody to notify: give customers or service units", field="customers")
    ladder = choose_ladder(subject_kind, urgency)
    now = clock.now()
    with transaction.atomic():
        fanout = FanOut.objects.create(
            subject_kind=subject_kind,
            subject_id=str(subject_id),
            title=title,
            urgency=urgency,
            total=len(ids),
            created_at=now,
            created_by=by,
        )
        for chunk in _batched(sorted(ids), 2000):
            Notification.objects.bulk_create(
                _new_notification(
                    customer_id,
                    subject_kind=subject_kind,
                    subject_id=subject_id,
                    title=title,
                    body=body,
                    urgency=urgency,
                    ladder=ladder,
                    now=now,
                    fanout=fanout,
                )
                for customer_id in chunk
            )
        events.fanout_started(fanout=fanout, customers=len(ids), ladder=ladder, by=by, via=via)
        transaction.on_commit(_dispatch_soon)
    return fanout


def _dispatch_soon() -> None:
    later("frontline.notifications.tasks.dispatch_ladders")


# ---------------------------------------------------------------- running rungs

RUN_RUNGS = "frontline.notifications.tasks.run_rungs"


def dispatch_due(*, limit: int = 2000) -> int:
    """Claim due rungs (new ones, and ones whose claim expired with a dead worker) and enqueue them in
    batches. No more than FRONTLINE_NOTIFY_IN_FLIGHT rungs are claimed at once: claims beyond what the
    workers can run before they expire would only be claimed again, and the queue would fill with jobs
    that find their claim gone. A finished batch claims the next (see tasks.run_rungs)."""

    now = clock.now()
    in_flight = (
        Notification.objects.filter(status=NotificationStatus.ACTIVE, claimed_until__gte=now)
        .exclude(claim_token="")
        .count()
    )
    room = min(limit, settings.FRONTLINE_NOTIFY_IN_FLIGHT - in_flight)
    claimed = 0
    while claimed < room:
        with transaction.atomic():
            token, won = claim_due(size=min(BATCH, room - claimed))
            if won:  # the job may only start once the claim it carries is visible
                transaction.on_commit(
                    lambda won=won, token=token: later("frontline.notifications.tasks.run_rungs", won, token)
                )
        if not won:
            break
        claimed += len(won)
    return claimed


def claim_due(*, only: list[int] | None = None, size: int = BATCH) -> tuple[str, list[tuple[int, int]]]:
    """Claim up to a batch of due rungs under one new token: (token, [(notification id, rung)]). Claims
    that expired (their worker died) come first, then rungs never claimed, oldest due first."""
    now = clock.now()
    active = Notification.objects.filter(status=NotificationStatus.ACTIVE)
    if only is not None:
        active = active.filter(pk__in=only)
    expired = active.exclude(claim_token="").filter(claimed_until__lt=now, next_due_at__lte=now)
    fresh = active.filter(claim_token="", next_due_at__lte=now)
    ids = list(expired.order_by("claimed_until").values_list("pk", flat=True)[:size])
    if len(ids) < size:
        ids += list(fresh.order_by("next_due_at").values_list("pk", flat=True)[: size - len(ids)])
    if not ids:
        return "", []
    token = secrets.token_hex(16)
    hold = timedelta(seconds=settings.FRONTLINE_NOTIFY_CLAIM_SECONDS * clock.speed())
    (expired | fresh).filter(pk__in=ids).update(claim_token=token, claimed_until=now + hold)
    return token, list(Notification.objects.filter(claim_token=token).values_list("pk", "next_step"))


def run_rungs(claimed: list, token: str) -> dict:
    """Run the claimed rung of each notification in a batch, in three steps: one transaction commits an
    attempt "sending" for every contact point of the batch; the transports are called (one SMTP session
    for the batch); one transaction records every answer and moves each notification on. A worker killed
    in the middle step leaves attempts "sending": the rerun marks them "outcome unknown" and sends again
    with the same keys."""
    wanted = {pk: step for pk, step in claimed}
    batch = [
        n
        for n in Notification.objects.select_related("customer", "case").filter(
            pk__in=wanted, claim_token=token, status=NotificationStatus.ACTIVE
        )
        if n.next_step == wanted[n.pk]
    ]  # the others were acknowledged meanwhile, or done by a worker that claimed them after ours expired
    transports: dict[str, Transport] = {}
    try:
        plan = _plan(batch, transports)
        attempts, reached = _commit_sending(plan)
        for (_notification, transport, _point, outgoing), attempt in zip(plan, attempts, strict=True):
            if attempt is not None:
                _call(transport, outgoing, attempt)
    finally:
        for transport in transports.values():
            transport.close()
    moved = _record_answers(batch, token, [a for a in attempts if a is not None], reached)
    return {"ran": moved, "skipped": len(claimed) - moved}


def run_rung(pk: int, step: int, token: str) -> bool:
    """One notification's rung: see `run_rungs`."""
    return run_rungs([(pk, step)], token)["ran"] == 1


def _plan(batch: list[Notification], transports: dict) -> list[tuple]:
    """(notification, transport, contact point or None, outgoing) for every hand-over the batch needs."""
    for n in batch:
        channel = n.steps[n.next_step]["channel"]
        if channel not in transports:
            transports[channel] = transport_for(channel)
    kinds = {t.contact_kind for t in transports.values() if t.contact_kind}
    customer_ids = {n.customer_id for n in batch}
    working = ContactPoint.objects.filter(kind__in=kinds).exclude(state=ContactState.FAILING)
    points = points_by_customer(customer_ids, working) if kinds else {}
    # The staff-call rung lists every number we hold, failing ones marked.
    every_phone = ContactPoint.objects.filter(kind="phone")
    phones = points_by_customer(customer_ids, every_phone) if Channel.PERSON in transports else {}
    plan = []
    for n in batch:
        rung = n.steps[n.next_step]
        transport = transports[rung["channel"]]
        numbers: tuple[str, ...] = ()
        if rung["channel"] == Channel.PERSON:
            targets = [None]
            numbers = tuple(
                p.value + (" (failing)" if p.state == ContactState.FAILING else "")
                for p in phones.get(n.customer_id, [])
            )
        else:
            targets = [p for p in points.get(n.customer_id, []) if p.kind == transport.contact_kind]
            if rung.get("contacts") == "verified":
                targets = [p for p in targets if p.state == ContactState.VERIFIED]
        for point in targets:
            key = f"n{n.pk}.{n.next_step}.{point.pk if point else 'staff'}"
            plan.append((n, transport, point, _outgoing(n, key, point, numbers)))
    return plan


def _commit_sending(plan: list[tuple]) -> tuple[list[DeliveryAttempt | None], set[int]]:
    """Commit an attempt "sending" for each hand-over not already done. None where an earlier run of the
    rung reached that point (never send it twice on purpose). Also answers which notifications that
    earlier run reached."""
    keys = [outgoing.key for *_, outgoing in plan]
    earlier = list(
        DeliveryAttempt.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", "pk", "status"
        )
    )
    done = {key for key, _pk, status in earlier if status in SUCCESSES}
    interrupted = [pk for _key, pk, status in earlier if status == AttemptStatus.SENDING]
    reached = {n.pk for n, *_, outgoing in plan if outgoing.key in done}
    now = clock.now()
    new = [
        DeliveryAttempt(
            notification=n,
            step=n.next_step,
            idempotency_key=outgoing.key,
            case_id=n.case_id,
            customer_id=n.customer_id,
            contact_point=point,
            channel=transport.channel,
            address=point.value if point else "staff",
            header_message_id=outgoing.message_id if transport.channel == "email" else "",
            due_at=n.next_due_at,
            attempted_at=now,
        )
        for n, transport, point, outgoing in plan
        if outgoing.key not in done
    ]
    with transaction.atomic():
        if interrupted:
            DeliveryAttempt.objects.filter(pk__in=interrupted).update(
                status=AttemptStatus.UNKNOWN,
                reply_text="interrupted between the hand-over and our record: sent again with the same key",
            )
        created = iter(DeliveryAttempt.objects.bulk_create(new))
    return [None if outgoing.key in done else next(created) for *_, outgoing in plan], reached


def _call(transport: Transport, outgoing: Outgoing, attempt: DeliveryAttempt) -> None:
    """Hand over one message and keep the answer on the attempt (saved by the caller)."""
    try:
        answer = transport.send(outgoing)
        attempt.status = AttemptStatus.ACCEPTED
        attempt.reply_code, attempt.reply_text = answer.code, answer.text
    except TransportError as exc:
        attempt.status = AttemptStatus.REFUSED if exc.permanent else AttemptStatus.DEFERRED
        attempt.reply_code, attempt.reply_text = exc.code, exc.text[:4000]
    except Exception as exc:  # a transport's bug is still a failed send, recorded, never swallowed
        attempt.status = AttemptStatus.DEFERRED
        attempt.reply_text = f"{type(exc).__name__}: {exc}"[:4000]
    attempt.answered_at = clock.now()


_ANSWER_FIELDS = ["status", "reply_code", "reply_text", "answered_at"]


def _record_answers(batch: list[Notification], token: str, attempts: list, reached: set[int]) -> int:
    """One transaction: every answer, the contact points it proves or condemns, and each notification
    moved on (its next rung due after its wait, or at once when nothing got through). Answers how many
    notifications moved."""
    now = clock.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                _save_answers(attempts)
        except IntegrityError:  # a key's success was recorded by another worker meanwhile
            for attempt in attempts:
                try:
                    with transaction.atomic():
                        attempt.save(update_fields=_ANSWER_FIELDS)
                except IntegrityError:  # the first success stands; this one is known only as a repeat
                    attempt.status = AttemptStatus.UNKNOWN
                    attempt.reply_text += " (a second hand-over of the same key; the first success stands)"
                    attempt.save(update_fields=_ANSWER_FIELDS)
                    reached.add(attempt.notification_id)
        proven = [
            a.contact_point_id for a in attempts if a.status == AttemptStatus.ACCEPTED and a.contact_point_id
        ]
        if proven:
            ContactPoint.objects.filter(pk__in=proven).update(last_delivery_ok_at=now)
        for attempt in attempts:
            if attempt.status == AttemptStatus.ACCEPTED:
                reached.add(attempt.notification_id)
            elif attempt.status == AttemptStatus.REFUSED and attempt.contact_point_id:
                condemn_contact(attempt, f"{attempt.reply_code or 'permanent'}", attempt.reply_text)
        moved = 0
        for n in batch:
            moved += _move_on(n, token, now, n.pk in reached)
    return moved


def _save_answers(attempts: list[DeliveryAttempt]) -> None:
    """The answers as one prepared UPDATE run per row (the ORM's bulk_update builds a CASE per field and
    row, which cost more than the sends it records)."""
    table = DeliveryAttempt._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, reply_code = %s, reply_text = %s, answered_at = %s "
            "WHERE id = %s",
            [(a.status, a.reply_code, a.reply_text, adapt(a.answered_at), a.pk) for a in attempts],
        )


_MOVE_ON = (
    "UPDATE notifications_notification SET next_step = %s, next_due_at = %s, claim_token = '', "
    "claimed_until = NULL, status = %s, finished_at = %s "
    "WHERE id = %s AND status = 'active' AND next_step = %s AND claim_token = %s"
)


def _move_on(n: Notification, token: str, now, reached: bool) -> int:
    step, following = n.next_step, n.next_step + 1
    finished = following >= len(n.steps)
    wait = timedelta(minutes=n.steps[following]["wait_minutes"]) if not finished and reached else timedelta(0)
    adapt = connection.ops.adapt_datetimefield_value
    status = NotificationStatus.EXHAUSTED if finished else NotificationStatus.ACTIVE
    with connection.cursor() as cursor:  # plain SQL: it runs once per notification and rung
        due, ended = (None, adapt(now)) if finished else (adapt(now + wait), None)
        cursor.execute(_MOVE_ON, [following, due, status, ended, n.pk, step, token])
        moved = cursor.rowcount
    if moved and finished:
        events.notification_exhausted(notification=n)
    return moved


def ack_link(notification: Notification) -> str:
    return make_link("notify/ack", {"n": notification.pk}, salt=ACK_SALT)


def _outgoing(notification: Notification, key: str, point: ContactPoint | None, numbers=()) -> Outgoing:
    ack_url = ack_link(notification)
    return Outgoing(
        key=key,
        address=point.normalized if point else "",
        title=notification.title,
        body=(
            f"{notification.body}\n\nPlease confirm you have read this: {ack_url}\n"
            "(Replying to this message also confirms it.)"
        ),
        ack_url=ack_url,
        message_id=f"<notify.{key}@{mail_domain()}>",
        reply_to=reply_address(notification.case) if notification.case_id else "",
        customer_name=notification.customer.name,
        numbers=numbers,
        secret=point.signing_secret if point else "",
        notification_id=notification.pk,
        customer_id=notification.customer_id,
        case_id=notification.case_id,
    )


def send_and_record(attempt: DeliveryAttempt, transport: Transport, outgoing: Outgoing) -> None:
    """One hand-over outside a ladder (a verification request), for an attempt already committed as
    "sending": the answer recorded, the contact point proven or condemned."""
    _call(transport, outgoing, attempt)
    point = attempt.contact_point
    with transaction.atomic():
        attempt.save(update_fields=_ANSWER_FIELDS)
        if attempt.status == AttemptStatus.ACCEPTED and point is not None:
            ContactPoint.objects.filter(pk=point.pk).update(last_delivery_ok_at=attempt.answered_at)
        elif attempt.status == AttemptStatus.REFUSED and point is not None:
            condemn_contact(attempt, f"{attempt.reply_code or 'permanent'}", attempt.reply_text)


def escalate_after_bounce(attempt: DeliveryAttempt) -> bool:
    """A rung whose every accepted message later bounced reached nobody: its next rung is due now, not
    after the wait meant for a customer who has the message. Answers whether the ladder was hastened."""
    if attempt.notification_id is None or attempt.step is None:
        return False
    still_reached = (
        DeliveryAttempt.objects.filter(
            notification_id=attempt.notification_id, step=attempt.step, status__in=SUCCESSES
        )
        .exclude(pk=attempt.pk)
        .exists()
    )
    if still_reached:
        return False
    now = clock.now()
    return bool(
        Notification.objects.filter(
            pk=attempt.notification_id,
            status=NotificationStatus.ACTIVE,
            next_step=attempt.step + 1,
            next_due_at__gt=now,
            claim_token="",
        ).update(next_due_at=now)
    )


# ---------------------------------------------------------------- acknowledging


def acknowledge(
    notification: Notification, *, via: str, who: str = "", by=None, detail: str = ""
) -> Notification:
    """Stop the ladder. Only the ladder: whatever the notification announced goes ahead on its own clock."""
    now = clock.now()
    with transaction.atomic():
        stopped = Notification.objects.filter(
            pk=notification.pk,
            status__in=[NotificationStatus.ACTIVE, NotificationStatus.EXHAUSTED],
        ).update(
            status=NotificationStatus.ACKNOWLEDGED,
            acknowledged_at=now,
            acknowledged_via=via,
            acknowledged_by=(who or (str(by) if by else ""))[:200],
            next_due_at=None,
            claim_token="",
            claimed_until=None,
            finished_at=now,
        )
        notification.refresh_from_db()
        if stopped:
            events.notification_acknowledged(
                notification=notification, who=who, detail=detail, by=by, via=via
            )
    return notification


def notification_for_link(token: str) -> Notification:
    data = read_link(
        token,
        salt=ACK_SALT,
        max_age=ACK_MAX_AGE,
        ids=("n",),
        expired="this link has expired; the message it came with is still on record",
    )
    notification = Notification.objects.select_related("customer").filter(pk=data["n"]).first()
    if notification is None:
        raise ServiceError(NOT_VALID)
    return notification


def acknowledge_by_link(token: str, *, client: str = "") -> Notification:
    return acknowledge(notification_for_link(token), via="link", who=client)


def acknowledge_by_reply(message_ids: list[str], *, sender: str) -> Notification | None:
    """A mail answering one of our notification emails (In-Reply-To / References) acknowledges it."""
    ids = [m for m in message_ids if m and m.startswith("<notify.")]
    if not ids:
        return None
    attempt = (
        DeliveryAttempt.objects.filter(header_message_id__in=ids, notification__isnull=False)
        .select_related("notification")
        .order_by("-pk")
        .first()
    )
    if attempt is None:
        return None
    return acknowledge(attempt.notification, via="email", who=sender, detail="replied to the email")


ACK_WORDS = {"ok", "okay", "yes", "ack", "got it", "received", "confirm", "confirmed", "ja", "oui"}


def acknowledge_by_sms(number: str, text: str) -> Notification | None:
    """A text with a keyword ("OK", "YES"…) acknowledges the latest notification that texted that number."""

    word = " ".join(text.lower().strip(" .!\n").split())
    if word not in ACK_WORDS:
        return None
    normalized = normalize_contact("phone", number)
    attempt = (
        DeliveryAttempt.objects.filter(
            notification__isnull=False,
            channel="sms",
            contact_point__normalized=normalized,
            notification__status__in=[NotificationStatus.ACTIVE, NotificationStatus.EXHAUSTED],
        )
        .select_related("notification")
        .order_by("-pk")
        .first()
    )
    if attempt is None:
        return None
    return acknowledge(attempt.notification, via="sms", who=number, detail=f"texted {text.strip()[:40]!r}")


def record_phone_confirmation(notification: Notification, *, by, who: str, note: str = "") -> Notification:
    if not who.strip():
        raise ServiceError("say who confirmed on the phone", field="who")
    return acknowledge(notification, via="phone", who=who.strip(), by=by, detail=note)


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


def fanout_progress(fanout: FanOut) -> dict:
    """Counts a person can read live: how many were reached, acknowledged, failing, exhausted."""
    statuses = dict(
        Notification.objects.filter(fanout=fanout)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    attempts = DeliveryAttempt.objects.filter(notification__fanout=fanout)
    reached = attempts.filter(status__in=SUCCESSES).values("notification_id").distinct().count()
    delivered = attempts.filter(status=AttemptStatus.DELIVERED).values("notification_id").distinct().count()
    failing_qs = (
        attempts.filter(status__in=[AttemptStatus.REFUSED, AttemptStatus.BOUNCED])
        .select_related("customer")
        .order_by("-pk")
    )
    started = attempts.values("notification_id").distinct().count()
    total = fanout.total or 1
    return {
        "total": fanout.total,
        "started": started,
        "sent": reached,
        "delivered": delivered,
        "acknowledged": statuses.get(NotificationStatus.ACKNOWLEDGED, 0),
        "failing": failing_qs.values("notification_id").distinct().count(),
        "exhausted": statuses.get(NotificationStatus.EXHAUSTED, 0),
        "climbing": statuses.get(NotificationStatus.ACTIVE, 0),
        "percent_started": round(100 * started / total, 1),
        "percent_acknowledged": round(100 * statuses.get(NotificationStatus.ACKNOWLEDGED, 0) / total, 1),
        "failures": [
            {
                "customer": a.customer.name if a.customer else "",
                "customer_id": a.customer_id,
                "channel": a.channel,
                "address": a.address,
                "status": a.get_status_display(),
                "answer": a.report_detail or a.reply_text,
                "at": a.attempted_at.isoformat(),
            }
            for a in failing_qs[:50]
        ],
    }


def evidence_timeline(customer: Customer, *, since=None) -> list[dict]:
    """Every attempt to reach the customer and every answer, oldest first: what the provider can show them."""
    attempts = DeliveryAttempt.objects.filter(customer=customer).select_related("notification")
    logged = Event.objects.filter(customer=customer, kind__in=list(events.EVIDENCE))
    if since is not None:
        attempts, logged = attempts.filter(attempted_at__gte=since), logged.filter(at__gte=since)
    rows = [
        {
            "at": a.attempted_at,
            "what": "attempt",
            "channel": a.channel,
            "address": a.address,
            "subject": a.notification.title
            if a.notification_id
            else (f"case C-{a.case_id}" if a.case_id else ""),
            "rung": "" if a.step is None else a.step + 1,
            "status": a.get_status_display(),
            "answer": a.reply_text,
            "code": a.reply_code or "",
            "later": " ".join(x for x in [a.report_status, a.report_detail] if x),
            "key": a.idempotency_key or a.header_message_id,
        }
        for a in attempts
    ]
    for e in logged:
        address, subject, status, answer = (
            e.data.get(key, "") if key else "" for key in events.EVIDENCE[e.kind]
        )
        rows.append(
            {
                "at": e.at,
                "what": e.label,
                "channel": e.via,
                "address": address,
                "subject": subject,
                "rung": "",
                "status": status,
                "answer": answer,
                "code": "",
                "later": "",
                "key": f"event {e.pk}",
            }
        )
    rows.sort(key=lambda row: (row["at"], row["key"]))
    return rows
