"""Background work for routing, through Django's tasks interface."""

import logging

from django.db.models import Q
from django_tasks import task

from frontline.cases.models import Case
from frontline.core.errors import ServiceError
from frontline.routing import services
from frontline.routing.models import RouterModel
from frontline.scheduling.periodic import own_transactions

log = logging.getLogger(__name__)


@task()
@own_transactions
def reassign_overdue_cases() -> int:
    """Cases whose owner let the response clock run out without acting go to the next best person."""
    return services.reassign_overdue()


@task()
@own_transactions
def retrain_router() -> int:
    """A new model version when cases were resolved since the last one; answers the version in use."""
    latest = RouterModel.objects.order_by("-version").first()
    if latest is not None:
        since = latest.trained_at
        if not Case.objects.filter(Q(resolved_at__gt=since) | Q(closed_at__gt=since)).exists():
            return latest.version
    try:
        return services.train_router(via="worker").version
    except ServiceError as exc:  # too few resolved cases yet: nothing to learn from, not a failure
        log.info("router not trained: %s", exc)
        return latest.version if latest else 0
