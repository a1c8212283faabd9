"""Prometheus metrics for Frontline itself, read from the database (and RQ's Redis) when scraped.

Every figure here is a fact about shared state: the intake's backlog, the queue, the ladders, the fan-outs,
the webhooks. Reading them at scrape time means every web process answers the same, wherever it runs and
however many there are, so no process keeps counters of its own (prometheus-client's multiprocess mode
would need a shared directory per machine and still not see the workers on other machines). Each query uses
an index that intake and the ladders already keep, so a scrape costs a few milliseconds at ten million
rows; "recent" figures look at the newest rows by id, never at a time column without an index.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from frontline.core import clock
from frontline.delivery.models import AttemptStatus, DeliveryAttempt
from frontline.intake.models import AcknowledgementDue, RawMessage, RawStatus
from frontline.notifications.models import FanOut, Notification, NotificationStatus
from frontline.scheduling.backend import on_rq
from frontline.scheduling.models import Job, JobStatus
from frontline.webhooks.models import DeliveryState, Subscription, WebhookAttempt, WebhookDelivery

# Prometheus's text format 0.0.4, which every Prometheus reads (Debian's 2.42 too): our names need no newer.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# How many of the newest delivery and webhook attempts the "recent" figures look at.
RECENT_ATTEMPTS = 10_000
# A fan-out is shown while any of its notices climbs, or for a day after it started.
FANOUT_SHOWN_FOR = timedelta(days=1)


def _seconds_since(moment, now) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment else 0.0


def _gauge(name: str, documentation: str, value: float, labels: dict | None = None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), value)
    return family


def intake(now):
    stored = RawMessage.objects.aggregate(highest=Max("pk"))["highest"] or 0
    family = CounterMetricFamily(
        "frontline_intake_messages_stored",
        "Messages stored by intake on every channel (the highest stored id: each message takes the next)",
    )
    family.add_metric([], stored)
    yield family
    waiting = RawMessage.objects.filter(status=RawStatus.PENDING)
    oldest = waiting.order_by("pk").values_list("received_at", flat=True).first()
    yield _gauge("frontline_intake_backlog", "Messages stored and not yet read", waiting.count())
    yield _gauge(
        "frontline_intake_oldest_waiting_seconds",
        "How long the oldest message waiting to be read has waited",
        _seconds_since(oldest, now),
    )
    # Customers' acknowledgements intake wrote and no worker has taken yet (intake/acknowledgements.py).
    due = AcknowledgementDue.objects.all()
    yield _gauge("frontline_acknowledgements_due", "Acknowledgements to customers not yet sent", due.count())
    yield _gauge(
        "frontline_acknowledgements_oldest_due_seconds",
        "How long the oldest acknowledgement not yet sent has waited",
        _seconds_since(due.order_by("pk").values_list("due_at", flat=True).first(), now),
    )


def queue(now):
    if on_rq():
        yield from _rq_queue()
        return
    due = Job.objects.filter(status=JobStatus.READY, due_at__lte=now)
    oldest = due.aggregate(oldest=Min("due_at"))["oldest"]
    depth = GaugeMetricFamily("frontline_queue_jobs", "Jobs in the queue by state", labels=["state"])
    depth.add_metric(["due"], due.count())
    depth.add_metric(["running"], Job.objects.filter(status=JobStatus.RUNNING).count())
    depth.add_metric(
        ["lease_expired"], Job.objects.filter(status=JobStatus.RUNNING, lease_expires_at__lt=now).count()
    )
    yield depth
    yield _gauge(
        "frontline_queue_oldest_due_seconds",
        "How long the most overdue job has waited for a worker",
        _seconds_since(oldest, now),
    )


def _rq_queue():
    # Only the RQ deployment has django_rq installed: imported where it is the queue.
    from django_rq import get_queue

    queues = [get_queue(name) for name in settings.FRONTLINE_TASK_QUEUES]
    depth = GaugeMetricFamily("frontline_queue_jobs", "Jobs in the queues by state", labels=["state"])
    depth.add_metric(["due"], sum(rq.count for rq in queues))
    depth.add_metric(["running"], sum(rq.started_job_registry.count for rq in queues))
    depth.add_metric(["scheduled"], sum(rq.scheduled_job_registry.count for rq in queues))
    depth.add_metric(["failed"], sum(rq.failed_job_registry.count for rq in queues))
    yield depth


def ladders(now):
    unclaimed = Notification.objects.filter(status=NotificationStatus.ACTIVE, claim_token="")
    due = unclaimed.filter(next_due_at__lte=now)
    oldest = due.aggregate(oldest=Min("next_due_at"))["oldest"]
    claimed = Notification.objects.filter(status=NotificationStatus.ACTIVE).exclude(claim_token="")
    rungs = GaugeMetricFamily("frontline_ladder_rungs", "Notification rungs by state", labels=["state"])
    rungs.add_metric(["due"], due.count())
    rungs.add_metric(["claimed"], claimed.count())
    rungs.add_metric(["claim_expired"], claimed.filter(claimed_until__lt=now).count())
    yield rungs
    yield _gauge(
        "frontline_ladder_lateness_seconds",
        "How late the most overdue rung is: due and not yet taken by a worker",
        _seconds_since(oldest, now),
    )


def fanouts(now):
    shown = FanOut.objects.filter(
        Q(created_at__gte=now - FANOUT_SHOWN_FOR)
        | Q(
            pk__in=Notification.objects.filter(status=NotificationStatus.ACTIVE, fanout__isnull=False)
            .values("fanout_id")
            .distinct()
        )
    ).values_list("pk", "total", "stored")
    totals = GaugeMetricFamily(
        "frontline_fanout_customers", "Customers a fan-out set out to tell", labels=["fanout"]
    )
    stored_so_far = GaugeMetricFamily(
        "frontline_fanout_stored",
        "A fan-out's notices stored so far: below its customers while a job stores the rest",
        labels=["fanout"],
    )
    notices = GaugeMetricFamily(
        "frontline_fanout_notices", "A fan-out's notices by state", labels=["fanout", "state"]
    )
    for pk, total, stored in shown:
        totals.add_metric([str(pk)], total)
        stored_so_far.add_metric([str(pk)], stored)
        counts = dict(Notification.objects.filter(fanout_id=pk).values_list("status").annotate(n=Count("pk")))
        for state in NotificationStatus.values:
            notices.add_metric([str(pk), state], counts.get(state, 0))
    yield totals
    yield stored_so_far
    yield notices


def _newest(model):
    """The newest RECENT_ATTEMPTS rows of a table whose ids grow with time: a range on the primary key."""
    highest = model.objects.aggregate(highest=Max("pk"))["highest"] or 0
    return model.objects.filter(pk__gt=highest - RECENT_ATTEMPTS)


def deliveries(recent: list[tuple[str, str, int]]):
    family = GaugeMetricFamily(
        "frontline_delivery_recent_attempts",
        f"The newest {RECENT_ATTEMPTS} attempts to reach customers, by channel and outcome",
        labels=["channel", "status"],
    )
    for channel, status, n in recent:
        family.add_metric([channel, status], n)
    yield family


def webhooks():
    answers = GaugeMetricFamily(
        "frontline_webhook_recent_answers",
        f"The newest {RECENT_ATTEMPTS} webhook attempts by the receiver's answer",
        labels=["answer"],
    )
    counted: dict[str, int] = {}
    for code, n in _newest(WebhookAttempt).values_list("status_code").annotate(n=Count("pk")):
        answer = f"{code // 100}xx" if code else "no answer"
        counted[answer] = counted.get(answer, 0) + n
    for answer, n in sorted(counted.items()):
        answers.add_metric([answer], n)
    yield answers
    yield _gauge(
        "frontline_webhook_deliveries_waiting",
        "Webhook deliveries not yet accepted by their receiver",
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING).count(),
    )
    yield _gauge(
        "frontline_webhook_subscriptions_paused",
        "Subscriptions paused after failing too often",
        Subscription.objects.filter(paused_at__isnull=False).count(),
    )


def errors(now, recent_attempts: list[tuple[str, str, int]]):
    """Errors by kind, each a state someone must act on or a count over a short recent span."""
    failed = (AttemptStatus.REFUSED, AttemptStatus.BOUNCED, AttemptStatus.UNKNOWN)
    failed_deliveries = sum(n for _, status, n in recent_attempts if status in failed)
    family = GaugeMetricFamily("frontline_errors", "Errors by kind", labels=["kind"])
    family.add_metric(["intake_quarantined"], RawMessage.objects.filter(status=RawStatus.QUARANTINED).count())
    family.add_metric(["delivery_failed_recently"], failed_deliveries)
    family.add_metric(
        ["webhook_failing"], Subscription.objects.filter(failures_in_row__gt=0, is_active=True).count()
    )
    if not on_rq():
        family.add_metric(
            ["job_failed_last_hour"],
            Job.objects.filter(status=JobStatus.FAILED, finished_at__gte=now - timedelta(hours=1)).count(),
        )
    yield family


class FrontlineCollector:
    def collect(self):
        now = clock.now()
        # Read once: their outcomes by channel, and the failures among them.
        recent_attempts = list(
            _newest(DeliveryAttempt).values_list("channel", "status").annotate(n=Count("pk"))
        )
        yield from intake(now)
        yield from queue(now)
        yield from ladders(now)
        yield from fanouts(now)
        yield from deliveries(recent_attempts)
        yield from webhooks()
        yield from errors(now, recent_attempts)


def exposition() -> bytes:
    """The text format Prometheus scrapes, from a registry of this collector alone (a web process's own
    memory and CPU would describe whichever process answered, so they are not here)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FrontlineCollector())
    return generate_latest(registry)
