"""Background work of the notification ladders, on whichever task backend is configured."""

from django_tasks import task

from frontline.customers.models import ContactPoint
from frontline.notifications import rungs, services, storing, verification
from frontline.scheduling.periodic import own_transactions

# A ladder's jobs are on the queue workers serve first (settings.FRONTLINE_TASK_QUEUES): at 57 API messages a
# second, acknowledgements took both workers of the scale benchmark, and a fan-out to 100,000 customers sent
# 7,440 notices in five minutes where it had sent about 40,000.
NOTICES = "notices"


@task(queue_name=NOTICES)
@own_transactions  # claims commit batch by batch; each batch's job is enqueued after its claim commits
def dispatch_ladders() -> int:
    return services.dispatch_due()


@task(queue_name=NOTICES)
@own_transactions  # each attempt is committed as "sending" before the transport is called
def run_rungs(claimed: list, token: str) -> dict:
    done = services.run_rungs([tuple(pair) for pair in claimed], token)
    # Take the next batch at once: a fan-out's rungs then flow at the workers' pace, not the pace of the
    # recurring dispatcher (every few seconds).
    services.dispatch_due(limit=rungs.BATCH)
    return done


@task(queue_name=NOTICES)
@own_transactions  # a chunk a transaction; the fan-out's row counts what is stored, so a rerun goes on
def store_fanout(fanout_id: int) -> int:
    return storing.store_rest(fanout_id)


@task()
@own_transactions
def resume_stalled_fanouts() -> int:
    return storing.resume_stalled()


@task()
@own_transactions
def reverify_stale_contacts() -> int:

    return verification.reverify_stale()


@task()
@own_transactions  # the request is recorded as "sending" before the transport is called
def verify_contact(point_id: int) -> str:

    point = ContactPoint.objects.filter(pk=point_id).first()
    if point is None:
        return "gone"
    attempt = verification.request_verification(point, via="worker")
    return attempt.status if attempt else "not a kind we verify"
