import datetime

import pytest
from django.core.management import call_command

from frontline.cases.models import Case, Message
from frontline.cases.search import clear_index
from frontline.customers.models import ContactPoint, Customer, ServiceUnit
from frontline.demo.provider import seed
from frontline.events.models import Event

NOW = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)


def tables() -> dict:
    return {
        model.__name__: list(model.objects.order_by("pk").values_list(*fields))
        for model, fields in [
            (Customer, ("pk", "name", "plan")),
            (ServiceUnit, ("pk", "customer_id", "parent_id", "name")),
            (ContactPoint, ("pk", "person_id", "customer_id", "value", "state")),
            (Case, ("pk", "customer_id", "requester_id", "subject", "status", "priority")),
            (Message, ("pk", "case_id", "body_text")),
            (Event, ("kind", "case_id", "customer_id", "data")),
        ]
    }


def wipe():
    call_command("flush", interactive=False, verbosity=0)
    clear_index()


@pytest.fixture
def wiped_after():
    yield
    wipe()  # this test commits; leave no search documents behind for the tests after it


@pytest.mark.django_db(transaction=True)
def test_a_seed_made_in_forked_processes_writes_what_one_process_writes(wiped_after):
    # given a seed split into several blocks of customers and of cases
    sizes = {"customers": 45, "cases": 130, "open_share": 0.2, "months": 3, "chunk": 20, "now": NOW}
    # when the blocks are made in this process, and then again by two forked ones, each time from the same
    # empty database (flushing also restarts PostgreSQL's sequences, which earlier tests moved on)
    wipe()
    totals = seed(**sizes, processes=1)
    in_one = tables()
    wipe()
    assert seed(**sizes, processes=2) == totals
    # then the database holds the same rows, ids included, and every reference holds
    assert tables() == in_one
    assert totals["cases.Case"] == 130 and totals["customers.Customer"] == 45
    assert not Message.objects.exclude(case__in=Case.objects.all()).exists()
