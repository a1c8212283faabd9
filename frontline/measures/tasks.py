"""The measures' upkeep on whichever task backend is configured."""

from django_tasks import task

from frontline.measures import refresh
from frontline.scheduling.periodic import own_transactions


@task()
@own_transactions  # derived rows only: a pass repeated after a take-over gives the same rows
def refresh_measures() -> int:
    return refresh.refresh()
