"""Background work for cases, through Django's tasks interface."""

from django_tasks import task

from frontline.cases import confirmation, services
from frontline.scheduling.periodic import own_transactions


@task()
@own_transactions
def refresh_open_priorities() -> int:
    return services.refresh_open_priorities()


@task()
def check_callbacks() -> int:
    """Every promised callback whose time has come is judged; one not kept is recorded as missed."""
    return services.check_callbacks()


@task()
def check_callback(case_pk: int, due_at_iso: str) -> bool:
    """One promise, as releases before the timer rows queued it at its time: jobs still queued run it."""
    return services.check_callback(case_pk, due_at_iso)


@task()
@own_transactions
def close_unconfirmed() -> int:
    """Fixed cases nobody confirmed within a week close as unconfirmed."""
    return confirmation.close_unconfirmed()
