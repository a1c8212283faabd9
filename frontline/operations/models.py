"""Operations keeps one thing of its own: how far each retention pass has gone."""

from django.db import models


class RetentionMark(models.Model):
    """The highest row id a retention pass has looked at, per kind of row: the next pass starts after it,
    so a pass reads only rows it has not seen (their ids grow with their time)."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} up to #{self.last_id}"
