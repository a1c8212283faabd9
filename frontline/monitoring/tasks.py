"""Background work of monitoring, through Django's tasks interface."""

from django_tasks import task

from frontline.monitoring import services
from frontline.scheduling.periodic import own_transactions


@task()
@own_transactions
def read_pending() -> int:
    """Read the stored webhook bodies (enqueued after each post; also every minute, as a safety net)."""
    return services.read_pending()
