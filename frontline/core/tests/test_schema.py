"""The tables every message and every send writes carry no index that nothing can read.

Each index is written on every insert. Two kinds cost on every write and serve no query: a lone index on
a column that already leads a full index of its own (the longer one answers every lookup the lone one
would), and `db_index` on a text column, which on PostgreSQL adds a `varchar_pattern_ops` copy that only
`LIKE 'abc%'` reads (core/schema.py).
"""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

# Written by intake (every message) and by the ladders (every notice and send).
HOT = [
    "cases.Case",
    "cases.Message",
    "events.Event",
    "intake.RawMessage",
    "intake.AcknowledgementDue",
    "delivery.DeliveryAttempt",
    "notifications.Notification",
]


def full_indexes(model) -> dict[str, tuple[str, ...]]:
    """Name -> columns of every index over all of a table's rows (partial ones left out: they are small)."""
    meta = model._meta
    found = {
        field.name: (field.column,)
        for field in meta.concrete_fields
        if field.db_index and not field.primary_key and not field.unique
    }
    for index in meta.indexes:
        if index.condition is None and index.fields:
            found[index.name] = tuple(meta.get_field(name.lstrip("-")).column for name in index.fields)
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None:
            found[constraint.name] = tuple(meta.get_field(name).column for name in constraint.fields)
    return found


def test_no_index_on_a_hot_table_leads_another():
    # Given every full index of the tables written per message and per send
    redundant = []
    for label in HOT:
        indexes = full_indexes(apps.get_model(label))
        # When one's columns are the first columns of a longer one
        for name, columns in indexes.items():
            for other, longer in indexes.items():
                if other != name and len(longer) > len(columns) and longer[: len(columns)] == columns:
                    redundant.append(f"{label}: {name} {columns} leads {other} {longer}")
    # Then there is none: the longer index serves every lookup, and the shorter is only written
    assert redundant == []


def test_no_text_column_of_a_hot_table_is_indexed_by_db_index():
    # Given the text columns of the tables written per message and per send
    copied = [
        f"{label}.{field.name}"
        for label in HOT
        for field in apps.get_model(label)._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and field.db_index and not field.unique
    ]
    # Then none asks for db_index (a LIKE copy on PostgreSQL): Meta.indexes declares the plain B-tree
    assert copied == []


def test_the_lookups_still_have_their_indexes():
    # Given the columns whose db_index became a declared index or a partial one
    wanted = {
        "delivery.DeliveryAttempt": ("header_message_id",),
        "cases.Message": ("message_id",),
        "customers.ContactPoint": ("normalized",),
        "notifications.Notification": ("customer_id", "created_at"),
    }
    for label, columns in wanted.items():
        # Then each is still led by an index, so equality lookups (threading, reports, matching) stay indexed
        assert columns in full_indexes(apps.get_model(label)).values(), label
    partial = {index.name: index for index in apps.get_model("cases.Case")._meta.indexes}
    assert partial["case_repeats"].fields == ["repeat_of"]
    assert partial["case_overridden_by"].fields == ["priority_override_by"]


def _message_id_indexes() -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "delivery_deliveryattempt")
    return {name for name, c in found.items() if c["index"] and c["columns"] == ["header_message_id"]}


@pytest.mark.django_db(transaction=True)
def test_the_message_id_index_migrates_back_and_forth_without_being_lost():
    # Given the attempts' Message-ID indexed once, under the name Meta.indexes gives it
    assert _message_id_indexes() == {"attempt_by_message_id"}
    old = "delivery_deliveryattempt_header_message_id_27715588"
    # When delivery migrates back to before core/schema.py's operation
    call_command("migrate", "delivery", "0003", verbosity=0)
    try:
        # Then Django's own index is back, with PostgreSQL's LIKE copy
        copy = {f"{old}_like"} if connection.vendor == "postgresql" else set()
        assert _message_id_indexes() == {old} | copy
    finally:
        call_command("migrate", "delivery", verbosity=0)
    # And forward again the column has the one plain index, renamed (on PostgreSQL) rather than rebuilt
    assert _message_id_indexes() == {"attempt_by_message_id"}
