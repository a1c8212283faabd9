"""Helpers for the routing tests."""

import datetime

NOW = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)
