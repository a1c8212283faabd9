"""Model instances read and written by plain SQL, for the few rows every message reads and writes.

Building a query with the ORM costs about half a millisecond (a case with its customer: 0.5-0.7 ms; a
message's insert about as much), and the indexed read or write itself 30-120 microseconds. At intake's
rate that difference is most of a message's time. Here each statement is built once per model (and set
of fields) and connection, and each value goes through the model's own fields, the way the ORM does:
`get` converts what it reads with the ORM's converters, `insert` and `update` prepare what they write
with each field's pre_save and get_db_prep_save. So `get` gives the instance `objects.get(pk=...)`
would, and `insert` / `update` store what `save()` would. No save signals are sent: Frontline connects
none to the models written here.
"""

from django.db import connection


def _reader(model) -> tuple[str, list[str], list[tuple[int, list, object]]]:
    """(SELECT statement, attribute names, converters by column) for a model, made once per connection
    (converters belong to the connection's backend)."""
    readers = _statements(connection)
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


def _statements(connection_) -> dict:
    return connection_.__dict__.setdefault("_frontline_statements", {})


def insert(instance) -> None:
    """Insert a new instance, as save() would, and give it its primary key."""
    model = type(instance)
    statements = _statements(connection)
    if (model, "insert") not in statements:
        meta = model._meta
        fields = [field for field in meta.concrete_fields if not field.primary_key]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        marks = ", ".join(["%s"] * len(fields))
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        statement = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {pk}"
        statements[(model, "insert")] = (statement, fields)
    statement, fields = statements[(model, "insert")]
    values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding, instance._state.db = False, connection.alias


def update(instance, fields: list[str]) -> None:
    """Write these fields of a saved instance, as save(update_fields=fields) would."""
    model = type(instance)
    key = (model, "update", tuple(fields))
    statements = _statements(connection)
    if key not in statements:
        meta = model._meta
        chosen = [meta.get_field(name) for name in fields]
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in chosen)
        statement = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
        statements[key] = (statement, chosen)
    statement, chosen = statements[key]
    values = [field.get_db_prep_save(field.pre_save(instance, False), connection) for field in chosen]
    with connection.cursor() as cursor:
        cursor.execute(statement, [*values, instance.pk])
