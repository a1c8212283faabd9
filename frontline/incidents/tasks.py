"""Background work of incidents, through Django's tasks interface."""

from django_tasks import task

from frontline.incidents import followers, maintenance
from frontline.scheduling.periodic import own_transactions


@task()
@own_transactions
def advance_maintenance() -> int:
    """Reminders before planned work, "starting now" and "done", as their times come."""
    return maintenance.advance()


@task()
def tell_followers(kind: str, pk: int) -> int:
    """Status page followers hear of an incident update or a maintenance notice (after its commit)."""
    return followers.tell(kind, pk)
