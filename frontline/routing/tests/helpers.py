"""Helpers for the routing tests, and for other apps' tests that need a router trained on a history."""

import datetime

import pytest

from frontline.agents.models import Agent
from frontline.core import clock
from frontline.demo.provider import create_staff, seed
from frontline.routing import services

NOW = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def history(db):
    """Northwind's staff and 600 cases of history (about 570 resolved), written by the demo's bulk seed."""
    create_staff()
    seed(customers=60, cases=600, open_share=0.05, months=6, now=NOW, processes=1)


@pytest.fixture
def trained(history):
    """The router trained on that history."""
    with clock.frozen_at(NOW):
        return services.train_router(via="test")


@pytest.fixture
def northwind_tom(history):
    """Tom of the demo's staff (web hosting, SSL, some DNS)."""
    return Agent.objects.get(user__username="tom")
