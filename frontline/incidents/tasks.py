"""Background work of incidents, through Django's tasks interface."""

from django_tasks import task

from frontline.incidents import followers, maintenance, postmortems
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


@task()
def deliver_summary(postmortem_id: int, body: str) -> int:
    """A postmortem's summary to each affected customer, with their own timeline."""
    return postmortems.deliver_summary(postmortem_id, body)


@task()
@own_transactions
def remind_actions() -> int:
    """Corrective actions due soon (the owner) and overdue (the owner and their lead)."""
    return postmortems.remind()
