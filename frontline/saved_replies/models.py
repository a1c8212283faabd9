"""Saved replies: the answers a team gives again and again, with fields filled from the case, and the record
of how often the customer had to come back after one (the scripts that fail customers, made visible)."""

from django.db import models


class SavedReply(models.Model):
    title = models.CharField(max_length=120, unique=True)
    # The text, with fields in braces filled from the case: {first_name}, {customer}, {case}, {subject},
    # {units}, {agent}. An unknown field stays as written, for the agent to see and fix.
    body = models.TextField()
    topic = models.ForeignKey(
        "agents.Skill",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Offered first on cases of this topic",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "saved replies"

    def __str__(self) -> str:
        return self.title

    @property
    def origin(self) -> str:
        """What a reply started from it carries (cases.Message.origin)."""
        return f"saved:{self.pk}"
