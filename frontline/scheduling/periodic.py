"""Recurring jobs: what runs every so often. Apps add theirs here; the worker's loop enqueues them."""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Periodic:
    name: str
    task_path: str  # dotted path of a django-tasks Task
    every: timedelta


PERIODIC_JOBS: list[Periodic] = [
    # Priority rises with the customer's elapsed time, so open cases are re-scored while they wait.
    Periodic("age-priorities", "frontline.cases.tasks.refresh_open_priorities", timedelta(minutes=5)),
    # Promised callbacks whose time has come: kept, or recorded missed (the timer is a row, cases/calls.py).
    Periodic("callbacks", "frontline.cases.tasks.check_callbacks", timedelta(seconds=5)),
    # Acknowledgements of new contacts that no batch has taken yet (intake/acknowledgements.py).
    Periodic("acknowledgements", "frontline.intake.tasks.send_acknowledgements", timedelta(seconds=10)),
    # Messages stored by a listener that stopped before reading them are read here.
    Periodic("intake-pending", "frontline.intake.tasks.process_pending_messages", timedelta(minutes=1)),
    # An owner who lets the response clock run out without acting loses the case to the next best person.
    Periodic("reassign-overdue", "frontline.routing.tasks.reassign_overdue_cases", timedelta(minutes=1)),
    # Notification ladders: claim rungs that fell due and enqueue them (the notification row is the timer).
    Periodic("notify-ladders", "frontline.notifications.tasks.dispatch_ladders", timedelta(seconds=5)),
    # A fan-out whose storing stopped with its worker: another job stores the rest (notifications/storing.py).
    Periodic("fanouts-stalled", "frontline.notifications.tasks.resume_stalled_fanouts", timedelta(minutes=1)),
    # Policy: actions whose grace period has ended are put in force (the decision row is the timer).
    Periodic("policy-due-actions", "frontline.policy.tasks.apply_due_actions", timedelta(seconds=30)),
    # Monitoring posts stored and not yet read (each post also enqueues its own reading at once).
    Periodic("monitoring-posts", "frontline.monitoring.tasks.read_pending", timedelta(minutes=1)),
    # Planned maintenance: the reminder before it, "starting now" and "done" as their times come.
    Periodic("maintenance", "frontline.incidents.tasks.advance_maintenance", timedelta(minutes=1)),
    # Postmortems' corrective actions: a reminder before the due date, a to-do for owner and lead after it.
    Periodic("corrective-actions", "frontline.incidents.tasks.remind_actions", timedelta(hours=1)),
    # A fix the customer has not confirmed within a week: the case closes as unconfirmed.
    Periodic("close-unconfirmed", "frontline.cases.tasks.close_unconfirmed", timedelta(hours=1)),
    # Contact points verified long ago, or never, are asked to confirm again before the day we need them.
    Periodic("reverify-contacts", "frontline.notifications.tasks.reverify_stale_contacts", timedelta(days=1)),
    # Outgoing webhooks: retries fall due (each new delivery also enqueues its own sending at once).
    Periodic("webhooks", "frontline.webhooks.tasks.deliver_due", timedelta(seconds=30)),
    # Measures: the problems and contacts the events since the last pass touched, derived again.
    Periodic("measures", "frontline.measures.tasks.refresh_measures", timedelta(minutes=1)),
    # Retention: raw bytes, attachments and finished jobs past their time (operations/retention.py).
    Periodic("retention", "frontline.operations.tasks.apply_retention", timedelta(hours=1)),
    # The router learns from what was resolved since it last trained.
    Periodic("train-router", "frontline.routing.tasks.retrain_router", timedelta(days=1)),
]


def own_transactions(func):
    """Mark a task function as idempotent work that commits in its own smaller transactions.

    The worker then does not wrap it in one transaction with its completion. Use it only for work that
    is safe to repeat, like recomputing derived numbers, since a take-over may run part of it twice.
    """
    func.own_transactions = True
    return func
