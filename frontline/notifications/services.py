"""Notifying customers: ladders that climb channel by channel until a person acknowledges.

The life of a notification:

1. `notify` (or `fan_out` for many customers) stores it with a frozen copy of its ladder, first rung due now.
2. `dispatch_due` (a recurring job, and once right after a notify) claims due notifications under a lease and
   enqueues `run_rungs` for them in batches, on whichever task backend is configured (durable rows or RQ).
3. `run_rung` sends the rung to each contact point: the attempt is committed as "sending" before the
   transport is called and the answer written after, with a deterministic idempotency key per rung and
   contact point. Then the notification moves to its next rung, due after that rung's wait (at once when
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
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from frontline.core import clock
from frontline.core.errors import ServiceError, require_choice
from frontline.customers.models import ContactPoint, ContactState, Customer, ServiceUnit
from frontline.delivery.models import SUCCESSES, AttemptStatus, DeliveryAttempt
from frontline.delivery.services import condemn_contact
from frontline.events.models import Event, EventKind
from frontline.events.services import record
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
        record(
            EventKind.NOTIFICATION_STARTED,
            actor=by,
            actor_label="system",
            via=via,
            case=case,
            customer=customer,
            notification_id=notification.pk,
            title=title,
            ladder=ladder.name,
            subject=f"{subject_kind}:{subject_id}",
        )
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
    for chunk in _batched(unit_ids, 5000):
        ids.update(ServiceUnit.objects.filter(pk__in=chunk).values_list("customer_id", flat=True))
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
        record(
            EventKind.FANOUT_STARTED,
            actor=by,
            actor_label="system",
            via=via,
            fanout_id=fanout.pk,
            customers=len(ids),
            title=title,
            ladder=ladder.name,
            subject=f"{subject_kind}:{subject_id}",
        )
        transaction.on_commit(_dispatch_soon)
    return fanout


def _dispatch_soon() -> None:
    from frontline.notifications.tasks import dispatch_ladders

    dispatch_ladders.enqueue()


# ---------------------------------------------------------------- running rungs


def dispatch_due(*, limit: int = 20000) -> int:
    """Claim due rungs (new ones, and ones whose claim expired with a dead worker) and enqueue them."""
    from frontline.notifications.tasks import run_rungs

    claimed = 0
    while claimed < limit:
        with transaction.atomic():
            token, won = claim_due()
            if won:  # the job may only start once the claim it carries is visible
                transaction.on_commit(lambda won=won, token=token: run_rungs.enqueue(won, token))
        if not won:
            break
        claimed += len(won)
    return claimed


def claim_due(*, only: list[int] | None = None) -> tuple[str, list[tuple[int, int]]]:
    """Claim up to a batch of due rungs under one new token: (token, [(notification id, rung)])."""
    now = clock.now()
    due = Notification.objects.filter(status=NotificationStatus.ACTIVE, next_due_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    if only is not None:
        due = due.filter(pk__in=only)
    ids = list(due.order_by("next_due_at").values_list("pk", flat=True)[:BATCH])
    if not ids:
        return "", []
    token = secrets.token_hex(16)
    hold = timedelta(seconds=settings.FRONTLINE_NOTIFY_CLAIM_SECONDS * clock.speed())
    due.filter(pk__in=ids).update(claim_token=token, claimed_until=now + hold)
    return token, list(Notification.objects.filter(claim_token=token).values_list("pk", "next_step"))


def run_rungs(claimed: list, token: str) -> dict:
    """Run the claimed rung of each notification in a batch, sharing one transport per channel."""
    transports: dict[str, Transport] = {}
    done = {"ran": 0, "skipped": 0}
    try:
        for pk, step in claimed:
            ran = run_rung(pk, step, token, transports)
            done["ran" if ran else "skipped"] += 1
    finally:
        for transport in transports.values():
            transport.close()
    return done


def _targets(notification: Notification, rung: dict, kind: str) -> list[ContactPoint]:
    points = ContactPoint.objects.filter(
        Q(customer_id=notification.customer_id)
        | Q(person__memberships__customer_id=notification.customer_id),
        kind=kind,
    ).exclude(state=ContactState.FAILING)
    if rung.get("contacts") == "verified":
        points = points.filter(state=ContactState.VERIFIED)
    return list(points.distinct().order_by("pk"))


def ack_link(notification: Notification) -> str:
    token = signing.dumps({"n": notification.pk}, salt=ACK_SALT, compress=True)
    return f"{settings.SITE_URL.rstrip('/')}/notify/ack/{token}/"


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "frontline.invalid"


def _outgoing(notification: Notification, step: int, key: str, point: ContactPoint | None) -> Outgoing:
    ack_url = ack_link(notification)
    local, _, domain = settings.DEFAULT_FROM_EMAIL.partition("@")
    reply_to = f"{local}+C-{notification.case_id}@{domain}" if notification.case_id else ""
    numbers = ()
    if point is None:  # the staff-call rung lists every number, failing ones marked
        numbers = tuple(
            p.value + (" (failing)" if p.state == ContactState.FAILING else "")
            for p in ContactPoint.objects.filter(
                Q(customer_id=notification.customer_id)
                | Q(person__memberships__customer_id=notification.customer_id),
                kind="phone",
            ).distinct()
        )
    return Outgoing(
        key=key,
        address=point.normalized if point else "",
        title=notification.title,
        body=(
            f"{notification.body}\n\nPlease confirm you have read this: {ack_url}\n"
            "(Replying to this message also confirms it.)"
        ),
        ack_url=ack_url,
        message_id=f"<notify.{key}@{_domain()}>",
        reply_to=reply_to,
        customer_name=notification.customer.name,
        numbers=numbers,
        secret=point.signing_secret if point else "",
        notification_id=notification.pk,
        customer_id=notification.customer_id,
        case_id=notification.case_id,
    )


def run_rung(pk: int, step: int, token: str, transports: dict | None = None) -> bool:
    """Send one rung of one notification and move it on. Safe to repeat: see the module's docstring."""
    transports = {} if transports is None else transports
    notification = Notification.objects.select_related("customer").get(pk=pk)
    if (
        notification.status != NotificationStatus.ACTIVE
        or notification.next_step != step
        or notification.claim_token != token
    ):
        return False  # acknowledged meanwhile, or done by a worker that claimed it after ours expired
    rung = notification.steps[step]
    channel = rung["channel"]
    transport = transports.get(channel) or transports.setdefault(channel, transport_for(channel))
    targets = [None] if channel == Channel.PERSON else _targets(notification, rung, transport.contact_kind)
    reached = False
    for point in targets:
        key = f"n{pk}.{step}.{point.pk if point else 'staff'}"
        status = _attempt(notification, step, transport, point, key)
        reached = reached or status in SUCCESSES
    now = clock.now()
    following = step + 1
    finished = following >= len(notification.steps)
    # Nothing got through (no working contact point, or every send failed): the next rung is due now.
    wait = timedelta(minutes=notification.steps[following]["wait_minutes"]) if not finished else None
    with transaction.atomic():
        moved = Notification.objects.filter(
            pk=pk, status=NotificationStatus.ACTIVE, next_step=step, claim_token=token
        ).update(
            next_step=following,
            next_due_at=None if finished else now + (wait if reached else timedelta(0)),
            claim_token="",
            claimed_until=None,
            status=NotificationStatus.EXHAUSTED if finished else NotificationStatus.ACTIVE,
            finished_at=now if finished else None,
        )
        if moved and finished:
            record(
                EventKind.NOTIFICATION_EXHAUSTED,
                actor_label="worker",
                via="worker",
                case=notification.case,
                customer=notification.customer,
                notification_id=pk,
                title=notification.title,
                rungs=len(notification.steps),
            )
    return bool(moved)


def _attempt(notification, step, transport: Transport, point, key: str) -> str:
    """One hand-over to one contact point, recorded before and after. Answers the recorded status."""
    earlier = list(DeliveryAttempt.objects.filter(idempotency_key=key).values_list("pk", "status"))
    for _pk, status in earlier:
        if status in SUCCESSES:
            return status  # this rung reached this point before a crash; never send it twice on purpose
    interrupted = [pk for pk, status in earlier if status == AttemptStatus.SENDING]
    if interrupted:
        DeliveryAttempt.objects.filter(pk__in=interrupted).update(
            status=AttemptStatus.UNKNOWN,
            reply_text="interrupted between the hand-over and our record: sent again with the same key",
        )
    outgoing = _outgoing(notification, step, key, point)
    attempt = DeliveryAttempt.objects.create(
        notification=notification,
        step=step,
        idempotency_key=key,
        case_id=notification.case_id,
        customer_id=notification.customer_id,
        contact_point=point,
        channel=transport.channel,
        address=point.value if point else "staff",
        header_message_id=outgoing.message_id if transport.channel == "email" else "",
        attempted_at=clock.now(),
    )
    try:
        send_and_record(attempt, transport, outgoing)
    except IntegrityError:  # another worker recorded this key's success first: that one stands
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            status=AttemptStatus.UNKNOWN,
            reply_text=f"{attempt.reply_text} (a second hand-over of the same key; the first success stands)",
        )
        return AttemptStatus.ACCEPTED
    return attempt.status


def send_and_record(attempt: DeliveryAttempt, transport: Transport, outgoing: Outgoing) -> None:
    """Call the transport for an attempt already committed as "sending", and record its answer: a success
    marks the contact point working, a permanent failure condemns it (with a to-do to fix it)."""
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
    point = attempt.contact_point
    with transaction.atomic():
        attempt.save(update_fields=["status", "reply_code", "reply_text", "answered_at"])
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
            record(
                EventKind.NOTIFICATION_ACKNOWLEDGED,
                actor=by,
                actor_label=who or via,
                via=via,
                case=notification.case,
                customer=notification.customer,
                notification_id=notification.pk,
                title=notification.title,
                who=who,
                detail=detail[:500],
            )
    return notification


def notification_for_link(token: str) -> Notification:
    try:
        value = signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ServiceError("this link has expired; the message it came with is still on record") from exc
    except signing.BadSignature as exc:
        raise ServiceError("this link is not valid") from exc
    try:
        return Notification.objects.select_related("customer").get(pk=value["n"])
    except (Notification.DoesNotExist, KeyError, TypeError) as exc:
        raise ServiceError("this link is not valid") from exc


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
    from frontline.customers.services import normalize_contact

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
        record(
            EventKind.NOTIFICATION_CANCELLED,
            actor=by,
            via="web",
            case=notification.case,
            customer=notification.customer,
            notification_id=notification.pk,
            reason=reason.strip(),
        )
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
    events = Event.objects.filter(
        customer=customer,
        kind__in=[
            EventKind.NOTIFICATION_STARTED,
            EventKind.NOTIFICATION_ACKNOWLEDGED,
            EventKind.NOTIFICATION_EXHAUSTED,
            EventKind.CONTACT_FAILING,
            EventKind.CONTACT_VERIFIED,
            EventKind.CONTACT_VERIFICATION_SENT,
            EventKind.DELIVERY_REPORTED,
        ],
    )
    if since is not None:
        attempts, events = attempts.filter(attempted_at__gte=since), events.filter(at__gte=since)
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
    rows += [
        {
            "at": e.at,
            "what": e.get_kind_display(),
            "channel": e.via,
            "address": e.data.get("value", "") or e.data.get("address", "") or e.data.get("who", ""),
            "subject": e.data.get("title", ""),
            "rung": "",
            "status": e.data.get("outcome", "") or e.data.get("status", ""),
            "answer": e.data.get("detail", "") or e.data.get("reason", ""),
            "code": "",
            "later": "",
            "key": f"event {e.pk}",
        }
        for e in events
    ]
    rows.sort(key=lambda row: (row["at"], row["key"]))
    return rows
