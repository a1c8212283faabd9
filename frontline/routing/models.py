"""What the router learned: versions of the topic model, and who resolves which topic well."""

from django.db import models


class RouterModel(models.Model):
    """One trained version of the topic classifier and its similar-case index, as files under the data
    directory. The newest is the one used; older files stay, so a bad version can be rolled back."""

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField()
    path = models.CharField(max_length=255, help_text="Classifier file, relative to the models directory")
    index_path = models.CharField(max_length=255, help_text="Similar-case index, relative to the same")
    cases_used = models.PositiveIntegerField()
    topics = models.JSONField(default=list)
    # Measured at training on a held-out fifth of the cases: accuracy, calibration error, per-topic counts.
    metrics = models.JSONField(default=dict)
    size_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"router v{self.version} ({self.cases_used} cases)"


class AgentTopicRecord(models.Model):
    """How one person does on one topic, kept up to date as cases close: the router's track record."""

    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="topic_records")
    skill = models.ForeignKey("agents.Skill", on_delete=models.CASCADE, related_name="agent_records")
    resolved = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    # Sum of hours from the problem's start to resolution, on the customer's clock.
    hours_to_resolve = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "skill"], name="one_record_per_agent_topic")]

    def __str__(self) -> str:
        return f"{self.agent} on {self.skill}: {self.resolved} resolved, {self.reopened} reopened"

    @property
    def mean_hours(self) -> float | None:
        return self.hours_to_resolve / self.resolved if self.resolved else None
