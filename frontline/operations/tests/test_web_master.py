"""The web role's master process (operations/gunicorn.py, preload_app): what it does once before forking, so
that a process replaced after max_requests serves at once."""

import gc
import logging
from types import SimpleNamespace

import pytest
from django.db import connections

from frontline.operations import gunicorn
from frontline.routing import services
from frontline.routing.tests.helpers import history, trained  # noqa: F401 (fixtures)


@pytest.mark.django_db(transaction=True)  # the hook closes the connection: no test transaction around it
def test_the_master_reads_the_model_before_forking_and_leaves_no_connection_to_share(trained, monkeypatch):  # noqa: F811
    # given a trained router that this process has not read yet
    monkeypatch.setattr(services, "_loaded", None)
    try:
        # when gunicorn's master is ready, before it forks the web processes
        gunicorn.when_ready(SimpleNamespace(log=logging.getLogger("test")))
        # then the model is in memory for every process forked from it
        assert services._loaded is not None and services._loaded.version == trained.version
        # and no database connection is left for the forked processes to share
        assert connections["default"].connection is None
        # and what it holds is out of their garbage collections
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
