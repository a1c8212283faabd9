"""Model instances read by plain SQL, for the few reads every message makes.

Building a query with the ORM costs about half a millisecond (a case with its customer: 0.5-0.7 ms), and
the indexed read itself about 30 microseconds. At intake's rate that difference is most of a message's
time. `get` reads one row by primary key with a statement built once per model and connection, and
converts each value with the same converters the ORM applies, so the instance is the one
`Model.objects.get(pk=...)` would give.
"""

from django.db import connection


def _reader(model) -> tuple[str, list[str], list[tuple[int, list, object]]]:
    """(SELECT statement, attribute names, converters by column) for a model, made once per connection
    (converters belong to the connection's backend)."""
    readers = connection.__dict__.setdefault("_frontline_readers", {})
    if model not in readers:
        meta = model._meta
        fields = list(meta.concrete_fields)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        converters = []
        for index, field in enumerate(fields):
            column = field.get_col(meta.db_table)
            found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if found:
                converters.append((index, found, column))
        statement = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"
        readers[model] = (statement, [field.attname for field in fields], converters)
    return readers[model]


def get(model, pk, *, lock: bool = False):
    """The row with this primary key as an instance of `model`, or model.DoesNotExist. `lock` takes the
    row lock where the database has one (SQLite's writer lock already covers the transaction)."""
    statement, attnames, converters = _reader(model)
    if lock and connection.features.has_select_for_update:
        statement += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(statement, [pk])
        row = cursor.fetchone()
    if row is None:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist")
    values = list(row)
    for index, found, column in converters:
        for convert in found:
            values[index] = convert(values[index], column, connection)
    return model.from_db(connection.alias, attnames, values)
