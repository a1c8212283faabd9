"""Helpers for the notification tests: the shared clock's start and a tick of the dispatcher."""

import datetime

from frontline.core import clock
from frontline.notifications import services
from frontline.tests.helpers import run_queued_jobs

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def tick(at: datetime.datetime) -> int:
    """What the worker does at `at`: claim the rungs due then, and run them. Answers how many jobs ran."""
    with clock.frozen_at(at):
        services.dispatch_due()
        return run_queued_jobs()
