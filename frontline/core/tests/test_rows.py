"""Plain SQL on intake's path: the driver's connection directly, with Django's errors and Django's path
whenever something watches the queries."""

import pytest
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from frontline.core import rows
from frontline.customers.models import Customer
from frontline.customers.services import create_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def unwatched(settings):
    """Nothing watches the queries (as in production: DEBUG off, no wrapper, no capture)."""
    settings.DEBUG = False
    connection.ensure_connection()
    assert not connection.queries_logged and not connection.execute_wrappers


def test_given_a_customer_when_read_and_written_by_plain_sql_then_the_rows_are_the_orms(unwatched):
    customer = create_customer(name="Plain Ltd")

    changed = rows.execute(
        "UPDATE customers_customer SET notes = %s WHERE id = %s", ["100% sure", customer.pk]
    )

    assert changed == 1
    assert rows.fetch_one("SELECT name, notes FROM customers_customer WHERE name LIKE 'Plain%%'") == (
        "Plain Ltd",
        "100% sure",
    )
    assert rows.fetch_all("SELECT id FROM customers_customer WHERE id IN (%s, %s)", [customer.pk, -1]) == [
        (customer.pk,)
    ]
    assert rows.fetch_one("SELECT id FROM customers_customer WHERE id = %s", [-1]) is None
    assert rows.get(Customer, customer.pk).notes == "100% sure"


def test_given_a_duplicate_key_when_inserted_by_plain_sql_then_djangos_integrity_error_is_raised(unwatched):
    customer = create_customer(name="Twice Ltd")
    insert = "INSERT INTO customers_customer SELECT * FROM customers_customer WHERE id = %s"

    with pytest.raises(IntegrityError), transaction.atomic():
        rows.execute(insert, [customer.pk])


def test_given_a_broken_transaction_when_plain_sql_runs_then_it_is_refused(unwatched):
    with transaction.atomic():
        connection.set_rollback(True)
        connection.needs_rollback = True
        with pytest.raises(TransactionManagementError):
            rows.fetch_one("SELECT 1")
        connection.needs_rollback = False


def test_given_nothing_watching_when_plain_sql_runs_then_djangos_cursor_is_not_used(unwatched, monkeypatch):
    customer = create_customer(name="Fast Ltd")

    def no_django_cursor(*args, **kwargs):
        raise AssertionError("Django's cursor wrapper was used")

    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "cursor", no_django_cursor)
    customer.notes = "direct"
    rows.update(customer, ["notes"])
    found = rows.fetch_one("SELECT notes FROM customers_customer WHERE id = %s", [customer.pk])

    assert found == ("direct",)


def test_given_a_capture_when_plain_sql_runs_then_every_statement_is_seen():
    customer = create_customer(name="Seen Ltd")

    with CaptureQueriesContext(connection) as watched:
        rows.fetch_one("SELECT name FROM customers_customer WHERE id = %s", [customer.pk])
        rows.execute("UPDATE customers_customer SET notes = %s WHERE id = %s", ["x", customer.pk])
        rows.update(customer, ["notes"])

    assert len(watched.captured_queries) == 3


def test_given_an_execute_wrapper_when_plain_sql_runs_then_the_wrapper_sees_it(unwatched):
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        rows.execute_many("UPDATE customers_customer SET notes = %s WHERE id = %s", [("a", -1), ("b", -2)])

    assert seen == ["UPDATE customers_customer SET notes = %s WHERE id = %s"]
