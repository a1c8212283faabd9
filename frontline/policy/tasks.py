"""Background work of the policy engine."""

from django_tasks import task

from frontline.policy import services
from frontline.scheduling.periodic import own_transactions


@task()
@own_transactions  # each action is applied in its own transaction; one that changed meanwhile is skipped
def apply_due_actions() -> int:
    return services.apply_due_decisions()
