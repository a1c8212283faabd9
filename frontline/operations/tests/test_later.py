"""Time under the deployment's roles, whichever queue runs the jobs: a job put off until a time
(`later(..., run_after=...)`) runs at that time, and a callback promised to a customer is judged when it
falls due."""

import datetime
import subprocess

import pytest
from django_tasks import TaskResultStatus

from frontline.cases import services as cases
from frontline.core import clock
from frontline.events.models import Event, EventKind
from frontline.scheduling.delayed import release_due
from frontline.scheduling.tests import probe_tasks
from frontline.tests.helpers import (
    queued_task_paths,
    stop_process,
    uses_rq,
    wait_for,
    worker_commands,
    worker_env,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _job_runners(name: str) -> list[subprocess.Popen]:
    """The job-running roles as deployed (on RQ: a worker and the recurring-jobs process)."""
    return [
        subprocess.Popen(command, env=worker_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for command in worker_commands(name)
    ]


@pytest.mark.subprocess
def test_a_job_put_off_for_a_few_seconds_runs_then_and_not_before():
    # given a job put off for three seconds
    due = clock.now() + datetime.timedelta(seconds=3)
    result = probe_tasks.add.using(run_after=due).enqueue(2, 3)
    processes = _job_runners("later")

    def finished():
        result.refresh()
        return result.status == TaskResultStatus.SUCCESSFUL

    try:
        # then the job-running roles run it once its time has come
        assert not finished()
        wait_for(finished, 30, "the job put off to run")
    finally:
        for process in processes:
            stop_process(process)
    assert result.return_value == 5 and clock.now() >= due


@pytest.mark.subprocess
def test_a_promised_callback_is_judged_when_it_falls_due_by_the_processes_a_deployment_runs(sam, tom):
    # given a case whose customer was promised a call back within a few seconds, and nobody calling
    case = cases.open_case(customer=sam, subject="No connection", body="Since this morning", channel="phone")
    due = clock.now() + datetime.timedelta(seconds=3)
    cases.promise_callback(case, by=tom, due_at=due, number="+44 7700 900456")
    processes = _job_runners("callbacks")
    missed = Event.objects.filter(case=case, kind=EventKind.CALLBACK_MISSED)
    try:
        # then the missed promise is found once its time has come, and not before
        assert not missed.exists()
        wait_for(missed.exists, 30, "the callback to be judged when due")
    finally:
        for process in processes:
            stop_process(process)
    assert missed.get().at >= due


@pytest.mark.skipif(not uses_rq(), reason="RQ's scheduled registry: the scale-out stage of .ci/run")
def test_a_delayed_job_is_put_on_its_queue_once_when_due_however_many_clocks_look():
    # given a job put off for an hour
    start = clock.now()
    probe_tasks.add.using(run_after=start + datetime.timedelta(hours=1)).enqueue(1, 2)
    # then before its time nothing moves it
    assert release_due(start + datetime.timedelta(minutes=59)) == 0
    assert queued_task_paths() == []
    # when its time has come and two recurring-jobs processes look in turn
    at = start + datetime.timedelta(hours=1, seconds=1)
    moved = [release_due(at), release_due(at)]
    # then the first put it on its queue, once, and the second found nothing left to move
    assert moved == [1, 0]
    assert queued_task_paths() == [probe_tasks.add.module_path]
