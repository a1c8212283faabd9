"""Background work for cases, through Django's tasks interface."""

from django_tasks import task

from frontline.cases import services
from frontline.scheduling.periodic import own_transactions


@task()
@own_transactions
def refresh_open_priorities() -> int:
    return services.refresh_open_priorities()
