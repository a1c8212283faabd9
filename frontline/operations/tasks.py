"""Operations' upkeep on whichever task backend is configured."""

from django_tasks import task

from frontline.operations import retention
from frontline.scheduling.periodic import own_transactions


@task()
@own_transactions  # each batch commits on its own: a pass repeated after a take-over finds less to do
def apply_retention() -> dict:
    applied = retention.apply()
    return {"raw_messages": applied.raw_messages, "attachments": applied.attachments, "jobs": applied.jobs}
