"""Open vocabularies: kinds of events and to-dos that any app may add to without a migration.

The core kinds stay one readable `TextChoices` list in their own app; an app adds its own kinds in its
`events.py` (or beside its to-do writer) with `declare`, at import time. The database column holds plain
strings, so a new kind needs no migration; the writer refuses a kind nobody declared, which is what the
database choices used to catch.
"""

from django.db import models


class Vocabulary:
    def __init__(self, name: str, core: type[models.TextChoices]):
        self.name = name
        self._labels: dict[str, str] = dict(core.choices)

    def declare(self, value: str, label: str) -> str:
        """Add a kind (idempotent for the same label). Returns the value, to keep as a module constant."""
        known = self._labels.get(value)
        if known is not None and known != label:
            raise ValueError(f"{self.name} kind {value!r} is already declared as {known!r}")
        self._labels[value] = label
        return value

    def check(self, value: str) -> str:
        if value not in self._labels:
            raise ValueError(f"unknown {self.name} kind {value!r}: declare it in the writing app first")
        return value

    def label(self, value: str) -> str:
        return self._labels.get(value, value)
