"""Sending webhook deliveries on whichever task backend is configured."""

from django_tasks import task

from frontline.scheduling.periodic import own_transactions
from frontline.webhooks import services


@task()
@own_transactions  # each try is recorded in its own transaction, after the receiver answered
def deliver_due() -> int:
    return services.deliver_due()
