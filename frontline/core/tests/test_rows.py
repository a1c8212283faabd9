"""Plain SQL on intake's path: the driver's connection directly, with Django's errors and Django's path
whenever something watches the queries."""

import datetime

import pytest
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from frontline.core import rows
from frontline.customers.models import Customer
from frontline.customers.services import create_customer
from frontline.events.models import Event, EventKind
from frontline.intake.models import RawMessage, Source

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
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            rows.fetch_one("SELECT 1")
        transaction.set_rollback(False)


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


def _stored(model, pk) -> tuple:
    """The row as the database holds it, column by column, before any conversion back."""
    columns = ", ".join(connection.ops.quote_name(field.column) for field in model._meta.concrete_fields[1:])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()


def test_given_the_same_event_when_written_by_rows_and_by_save_then_the_stored_rows_are_equal(unwatched):
    customer = create_customer(name="Same Ltd")
    at = datetime.datetime(
        2026, 3, 1, 12, 30, 15, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    fields = dict(
        kind=EventKind.CASE_OPENED,  # a text choice: a str subclass
        at=at,  # aware, not in UTC
        actor_label="intake",
        via="email",
        customer=customer,
        data={"reason": "naïve ünïcode", "nested": [1, 2.5, None, {"deep": True}]},
    )
    by_rows, by_save = Event(**fields), Event(**fields)

    rows.insert(by_rows)
    by_save.save()

    assert _stored(Event, by_rows.pk) == _stored(Event, by_save.pk)
    assert rows.get(Event, by_rows.pk).at == at


def test_given_a_naive_datetime_when_written_by_rows_then_it_is_stored_as_save_stores_it(unwatched):
    customer = create_customer(name="Naive Ltd")
    naive = datetime.datetime(2026, 3, 1, 12, 0)

    with pytest.warns(RuntimeWarning):  # Django's warning, as save() gives it: the value took the field's way
        customer.created_at = naive
        rows.update(customer, ["created_at"])
    by_rows = _stored(Customer, customer.pk)
    with pytest.warns(RuntimeWarning):
        customer.save(update_fields=["created_at"])

    assert by_rows == _stored(Customer, customer.pk)


def test_given_several_new_rows_when_inserted_in_one_statement_then_each_has_its_own_key(unwatched):
    customer = create_customer(name="Many Ltd")
    now = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
    made = [
        rows.new(Event, kind=EventKind.NOTE_ADDED, at=now, customer_id=customer.pk, data={"n": n})
        for n in range(3)
    ]

    with CaptureQueriesContext(connection) as written:
        rows.insert_many(made)

    assert len(written.captured_queries) == 1
    assert [Event.objects.get(pk=event.pk).data["n"] for event in made] == [0, 1, 2]


def test_given_a_repeated_unique_key_when_inserted_unless_conflict_then_the_transaction_goes_on(
    unwatched,
):
    def stored(key: str) -> RawMessage:
        now = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
        return rows.new(
            RawMessage,
            source=Source.API,
            channel="api",
            received_at=now,
            raw=b"{}",
            size=2,
            idempotency_key=key,
        )

    with transaction.atomic():
        first = stored("key-1")
        assert rows.insert(first, unless_conflict=True) is True
        repeated = stored("key-1")
        assert rows.insert(repeated, unless_conflict=True) is False and repeated.pk is None
        other = stored("key-2")
        rows.insert(other)  # the transaction is not broken: it writes on
    assert list(RawMessage.objects.order_by("pk").values_list("pk", "idempotency_key")) == [
        (first.pk, "key-1"),
        (other.pk, "key-2"),
    ]
    with pytest.raises(IntegrityError), transaction.atomic():  # and without, the repeat is refused as ever
        rows.insert(stored("key-1"))
