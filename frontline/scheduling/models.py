"""Durable work: a job is a row with a due time, claimed by one worker at a time under a lease.

A worker that dies mid-job simply stops renewing nothing: its lease runs out and another worker takes
the job over. A job's database effects commit in the same transaction that marks it done, and only
while its lease is still held, so a job taken over is done exactly once.
"""

from django.db import models
from django.db.models import Q


class JobStatus(models.TextChoices):
    READY = "READY", "Ready"  # waiting for its due time, or due and not yet claimed
    RUNNING = "RUNNING", "Running"  # claimed by a worker whose lease has not run out
    SUCCESSFUL = "SUCCESSFUL", "Successful"  # finished; its effects are committed
    FAILED = "FAILED", "Failed"  # raised, or was taken over too many times; errors say why


class Job(models.Model):
    task_path = models.CharField(max_length=255, db_index=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    queue_name = models.CharField(max_length=40, default="default")
    priority = models.SmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.READY)
    due_at = models.DateTimeField()
    enqueued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_attempted_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    # The claim: who holds it and until when. A new token per claim fences out a worker that lost it.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    worker_ids = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    return_value = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="READY"), name="job_ready_by_due"),
            models.Index(
                fields=["lease_expires_at"], condition=Q(status="RUNNING"), name="job_running_by_lease"
            ),
            # Failures are few: /metrics counts the last hour's, and finished jobs' retention reads by age.
            models.Index(fields=["finished_at"], condition=Q(status="FAILED"), name="job_failed_by_finish"),
            # Finished jobs are removed after FRONTLINE_KEEP_FINISHED_JOBS_DAYS, oldest first.
            models.Index(fields=["finished_at"], condition=Q(status="SUCCESSFUL"), name="job_done_by_finish"),
        ]

    def __str__(self) -> str:
        return f"{self.task_path} #{self.pk} ({self.status})"


class PeriodicRun(models.Model):
    """When each recurring job is next due. Workers race for it with a conditional update; one wins."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_enqueued_job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.name} next at {self.next_run_at:%Y-%m-%d %H:%M:%S}"
