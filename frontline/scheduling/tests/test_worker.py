import datetime
import logging
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django_tasks import TaskResultStatus

from frontline.core import clock
from frontline.scheduling import worker
from frontline.scheduling.models import Job, JobStatus, PeriodicRun
from frontline.scheduling.periodic import Periodic
from frontline.scheduling.tests import probe_tasks
from frontline.tests.helpers import wait_for, worker_env

LEASE = timedelta(seconds=30)
T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_a_task_enqueued_through_djangos_interface_runs_once_and_keeps_its_result():
    # given a job enqueued the standard way
    result = probe_tasks.add.enqueue(2, 3)
    assert result.status == TaskResultStatus.READY
    # when a worker runs until idle
    ran = worker.run_worker(worker_id="w1", lease=LEASE, stop_when_idle=True, periodic=False)
    # then it ran once, and its result can be read back through the interface
    assert ran == 1
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == 5
    assert result.worker_ids == ["w1"]


@pytest.mark.django_db
def test_a_deferred_task_waits_for_its_due_time():
    with clock.frozen_at(T0):
        probe_tasks.add.using(run_after=T0 + timedelta(minutes=15)).enqueue(1, 1)
        assert worker.claim_next("w1", LEASE) is None
    with clock.frozen_at(T0 + timedelta(minutes=15)):
        job = worker.claim_next("w1", LEASE)
    assert job is not None and job.attempts == 1


@pytest.mark.django_db
def test_a_claimed_job_is_not_claimed_again_until_its_lease_runs_out():
    with clock.frozen_at(T0):
        probe_tasks.add.enqueue(1, 2)
        first = worker.claim_next("w1", LEASE)
        assert worker.claim_next("w2", LEASE) is None
    # when the first worker goes silent past its lease
    with clock.frozen_at(T0 + LEASE + timedelta(seconds=1)):
        taken_over = worker.claim_next("w2", LEASE)
    # then another worker takes it over, with a new lease token that fences the first one out
    assert taken_over.pk == first.pk and taken_over.attempts == 2
    assert taken_over.lease_token != first.lease_token
    assert taken_over.worker_ids == ["w1", "w2"]
    assert worker.run_job(first) is False  # the first worker's late finish is refused and rolled back
    assert worker.run_job(taken_over) is True
    assert Job.objects.get(pk=first.pk).return_value == 3


@pytest.mark.django_db
def test_a_job_whose_leases_keep_expiring_is_given_up_with_a_reason():
    with clock.frozen_at(T0):
        result = probe_tasks.add.enqueue(1, 2)
    Job.objects.filter(pk=result.id).update(max_attempts=2)
    moment = T0
    for _ in range(2):
        with clock.frozen_at(moment):
            assert worker.claim_next("w", LEASE) is not None
        moment += LEASE + timedelta(seconds=1)
    with clock.frozen_at(moment):
        assert worker.claim_next("w", LEASE) is None
    job = Job.objects.get(pk=result.id)
    assert job.status == JobStatus.FAILED and "lease expired" in job.errors[0]["traceback"]


@pytest.mark.django_db
def test_a_failing_task_is_recorded_with_its_traceback_never_swallowed():
    result = probe_tasks.explode.enqueue()
    worker.run_worker(worker_id="w1", lease=LEASE, stop_when_idle=True, periodic=False)
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class is RuntimeError
    assert "the disk is on fire" in result.errors[0].traceback


@pytest.mark.django_db
def test_the_log_says_how_each_job_ended_as_rqs_workers_say_it(caplog):
    # given a job that will succeed and one that will fail
    done, failed = probe_tasks.add.enqueue(1, 1), probe_tasks.explode.enqueue()
    # when a worker runs them
    with caplog.at_level(logging.INFO, logger="django_tasks"):
        worker.run_worker(worker_id="w1", lease=LEASE, stop_when_idle=True, periodic=False)
    # then each has a line for its start and one for how it ended, the failure's with its traceback
    lines = [r for r in caplog.records if r.name == "django_tasks"]
    said = {(r.getMessage().split()[1], r.getMessage().split()[-1]): r for r in lines}
    assert len(lines) == 4
    assert set(said) == {
        (f"id={done.id}", "state=RUNNING"),
        (f"id={done.id}", "state=SUCCESSFUL"),
        (f"id={failed.id}", "state=RUNNING"),
        (f"id={failed.id}", "state=FAILED"),
    }
    ending = said[(f"id={failed.id}", "state=FAILED")]
    assert ending.levelno == logging.ERROR and "the disk is on fire" in str(ending.exc_info[1])


@pytest.mark.django_db
def test_a_recurring_job_is_enqueued_once_per_interval_however_many_workers_ask():
    every = Periodic("probe", "frontline.scheduling.tests.probe_tasks.add", timedelta(minutes=5))
    with clock.frozen_at(T0):
        assert worker.enqueue_due_periodic([every]) == 1
        assert worker.enqueue_due_periodic([every]) == 0  # a second worker in the same moment
    with clock.frozen_at(T0 + timedelta(minutes=4)):
        assert worker.enqueue_due_periodic([every]) == 0
    with clock.frozen_at(T0 + timedelta(minutes=5)):
        assert worker.enqueue_due_periodic([every]) == 1
    assert Job.objects.count() == 2
    assert PeriodicRun.objects.get(name="probe").next_run_at == T0 + timedelta(minutes=10)


@pytest.mark.django_db
def test_priority_aging_is_a_registered_recurring_job():
    worker.enqueue_due_periodic()
    assert Job.objects.filter(task_path="frontline.cases.tasks.refresh_open_priorities").exists()


def _start_worker(worker_id: str, lease_seconds: float) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "frontline.cli",
            "worker",
            "--no-periodic",
            "--poll",
            "0.2",
            "--lease",
            str(lease_seconds),
            "--worker-id",
            worker_id,
        ],
        env=worker_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_strands_nothing_and_the_job_is_done_exactly_once(tmp_path):
    # given a job whose first attempt writes its effect and then hangs
    marker = tmp_path / "started"
    result = probe_tasks.write_then_hang_on_first_attempt.enqueue("once", str(marker))
    first = _start_worker("doomed", lease_seconds=3)
    try:
        wait_for(marker.exists, 30, "the first worker to start the job")
        # when that worker is killed with SIGKILL in the middle of the job
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    job = Job.objects.get(pk=result.id)
    assert job.status == JobStatus.RUNNING and job.worker_ids == ["doomed"]
    # then a second worker re-claims it once the lease has run out, and finishes it
    second = _start_worker("rescuer", lease_seconds=30)
    try:
        wait_for(
            lambda: Job.objects.get(pk=result.id).status == JobStatus.SUCCESSFUL, 60, "the job to finish"
        )
    finally:
        second.terminate()
        second.wait(timeout=10)
    job = Job.objects.get(pk=result.id)
    assert job.attempts == 2 and job.worker_ids == ["doomed", "rescuer"]
    # and its effect exists exactly once: the killed attempt's write was rolled back with it
    children = Job.objects.filter(task_path=probe_tasks.child.module_path, args=["once"])
    assert children.count() == 1
    assert job.return_value == 1
