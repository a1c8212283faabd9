"""What the provider can show a customer, and a person watching a fan-out: every attempt and every answer,
oldest first; live counts of who was reached, acknowledged, failing or not answering."""

from django.db.models import Count, Q

from frontline.customers.models import Customer, Membership
from frontline.delivery.models import SUCCESSES, AttemptStatus, DeliveryAttempt
from frontline.events.models import Event
from frontline.notifications import events
from frontline.notifications.models import (
    FanOut,
    Notification,
    NotificationStatus,
)


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
        "stored": fanout.stored,  # below total while a job stores the rest (storing.py)
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
    # A notice to a person acting for several accounts is stored under one of them and told every one.
    acting_for = Membership.objects.filter(customer=customer).values("person_id")
    attempts = DeliveryAttempt.objects.filter(
        Q(customer=customer) | Q(notification__person_id__in=acting_for)
    ).select_related("notification")
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
