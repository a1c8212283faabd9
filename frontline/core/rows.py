"""Model instances read and written by plain SQL, for the few rows every message reads and writes.

Building a query with the ORM costs about half a millisecond (a case with its customer: 0.5-0.7 ms; a
message's insert about as much), and the indexed read or write itself 30-120 microseconds. At intake's
rate that difference is most of a message's time. Here each statement is built once per model (and set
of fields) and connection, and each value goes through the model's own fields, the way the ORM does:
`get` converts what it reads with the ORM's converters, `insert` and `update` prepare what they write
with each field's pre_save and get_db_prep_save. So `get` gives the instance `objects.get(pk=...)`
would, and `insert` / `update` store what `save()` would. No save signals are sent: Frontline connects
none to the models written here.

These statements, and the plain SQL that other hot paths run with `fetch_one`, `fetch_all`, `execute`
and `execute_many`, go to the driver's connection directly: Django's cursor wrapper (a cursor object, the
placeholder rewrite SQLite's backend does with a regular expression on every execution, the debug and
wrapper hooks) costs as much again as an indexed statement. Errors are still Django's (IntegrityError
and the rest), a broken transaction is still refused, and whenever anything watches the queries (DEBUG,
a test capturing them, an execute wrapper) they take Django's own path, so that they are seen.
"""

import datetime
import decimal

from django.db import DEFAULT_DB_ALIAS, connections, models

from frontline.core import chunk

# Defaults of these types are shared by every new instance as they are; any other (a list, a dict), and
# any a callable makes, is made afresh for each, as the field's own default would be.
_SHAREABLE = (type(None), str, bytes, bool, int, float, decimal.Decimal, datetime.datetime, datetime.date)
_BLUEPRINTS: dict = {}


def _blueprint(model) -> tuple[dict, dict, list, list]:
    """(column positions by attribute name, foreign keys by name, shared defaults, (position, field) of
    the defaults made per instance) of a model, made once."""
    if model not in _BLUEPRINTS:
        positions, relations, defaults, fresh = {}, {}, [], []
        for index, field in enumerate(model._meta.concrete_fields):
            positions[field.attname] = index
            if type(field) is models.ForeignKey and field.target_field is field.related_model._meta.pk:
                relations[field.name] = (index, field)
            default = field.get_default()
            shared = type(default) in _SHAREABLE and not (field.has_default() and callable(field.default))
            defaults.append(default if shared else None)
            if not shared:
                fresh.append((index, field))
        positions["pk"] = positions[model._meta.pk.attname]
        _BLUEPRINTS[model] = (positions, relations, defaults, fresh)
    return _BLUEPRINTS[model]


def new(model, **values):
    """`model(**values)`, made the way a row read back is made: from every column's value in order.
    Django's keyword path asks each of a case's 38 fields for its default and passes each relation through
    its descriptor (40 us a case, for the several instances every message makes); this takes a few.
    Values are named by attribute (customer_id), or by a foreign key's name with its instance (customer),
    which is kept on the new instance as the descriptor keeps it; any other name takes Django's path."""
    positions, relations, defaults, fresh = _blueprint(model)
    columns = defaults.copy()
    for index, field in fresh:
        columns[index] = field.get_default()
    related = []
    for name, value in values.items():
        index = positions.get(name)
        if index is None:
            index, field = relations.get(name, (None, None))
            if field is None or not (value is None or isinstance(value, field.related_model)):
                return model(**values)
            related.append((field, value))
            value = None if value is None else value.pk
        columns[index] = value
    instance = model(*columns)
    for field, value in related:
        field.set_cached_value(instance, value)
    return instance


def _reader(model, db) -> tuple[list, list[str], list[tuple[int, list, object]]]:
    """(fields, attribute names, converters by column) of a model, made once per connection (converters
    belong to the connection's backend)."""
    readers = _statements(db)
    if model not in readers:
        meta = model._meta
        fields = list(meta.concrete_fields)
        converters = []
        for index, field in enumerate(fields):
            column = field.get_col(meta.db_table)
            found = db.ops.get_db_converters(column) + field.get_db_converters(db)
            if found:
                converters.append((index, found, column))
        readers[model] = (fields, [field.attname for field in fields], converters)
    return readers[model]


def get(model, pk, *, lock: bool = False, follow: tuple[str, ...] = ()):
    """The row with this primary key as an instance of `model`, or model.DoesNotExist. `lock` takes the
    row lock where the database has one (SQLite's writer lock already covers the transaction); `follow`
    as for `find`."""
    column = _db().ops.quote_name(model._meta.pk.column)
    found = find(model, f"t0.{column} = %s", [pk], lock=lock, follow=follow)
    if found is None:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist")
    return found


def find(model, where: str, params: list, *, lock: bool = False, follow: tuple[str, ...] = ()):
    """The first row matching a plain SQL condition on the model's table (named t0 in `where`), as an
    instance, or None. `follow` names foreign keys whose rows are read in the same statement and set on
    the instance, as select_related does: "agent", then "agent__user" for the agent's user."""
    db = _db()
    quote = db.ops.quote_name
    key = (model, "find", follow)
    statements = _statements(db)
    if key not in statements:
        chain = [(None, model, "t0")]  # (path, model, alias), each joined to the one its path extends
        joins, aliases = [], {"": "t0"}
        for path in follow:
            parent_path, _, name = path.rpartition("__")
            parent_model = next(m for p, m, _ in chain if (p or "") == parent_path)
            field = parent_model._meta.get_field(name)
            alias = f"t{len(chain)}"
            aliases[path] = alias
            target = field.related_model
            joins.append(
                f"LEFT JOIN {quote(target._meta.db_table)} {alias} ON {alias}."
                f"{quote(target._meta.pk.column)} = {aliases[parent_path]}.{quote(field.column)}"
            )
            chain.append((path, target, alias))
        columns = ", ".join(
            f"{alias}.{quote(field.column)}" for _, each, alias in chain for field in _reader(each, db)[0]
        )
        statement = f"SELECT {columns} FROM {quote(model._meta.db_table)} t0 {' '.join(joins)} WHERE "
        statements[key] = (statement, chain)
    statement, chain = statements[key]
    statement += where
    if lock and db.features.has_select_for_update:
        statement += " FOR UPDATE" + (" OF t0" if follow and db.features.has_select_for_update_of else "")
    row = _run(db, statement, params, _first)
    if row is None:
        return None
    instances, start = {}, 0
    for path, each, _ in chain:
        fields, attnames, converters = _reader(each, db)
        values = list(row[start : start + len(fields)])
        start += len(fields)
        for index, found, column in converters:
            for convert in found:
                values[index] = convert(values[index], column, db)
        instances[path] = None if values[0] is None and path else each.from_db(db.alias, attnames, values)
    for path in follow:
        parent_path, _, name = path.rpartition("__")
        parent = instances[parent_path or None]
        if parent is not None and instances[path] is not None:
            setattr(parent, name, instances[path])
    return instances[None]


def _db():
    """The default database's connection: once per intake chunk, since each lookup goes through a
    thread-local (and each use of the `connection` proxy does one)."""
    return chunk.once("rows.connection", _default_connection)


def _default_connection():
    return connections[DEFAULT_DB_ALIAS]


def _statements(db) -> dict:
    return db.__dict__.setdefault("_frontline_statements", {})


def _run(db, statement: str, params, take, *, many: bool = False):
    """Execute a statement and answers `take(cursor)` (its rows, first row or row count)."""
    if db.connection is None or db.queries_logged or db.execute_wrappers:
        with db.cursor() as cursor:
            (cursor.executemany if many else cursor.execute)(statement, params)
            return take(cursor)
    if db.vendor == "sqlite":  # its driver takes ?, as Django's backend rewrites on every execution
        statement = statement.replace("%s", "?").replace("%%", "%")
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        cursor = db.connection.cursor()
        try:
            (cursor.executemany if many else cursor.execute)(statement, params)
            return take(cursor)
        finally:
            cursor.close()


def _first(cursor):
    # Only for statements that answer rows (a query, an INSERT ... RETURNING). Not asked first whether it
    # did: psycopg builds the description's column objects afresh at every ask, 7% of an API request's CPU.
    return cursor.fetchone()


def _all(cursor):
    return cursor.fetchall()


def _count(cursor):
    return cursor.rowcount


def fetch_one(statement: str, params=()) -> tuple | None:
    """The first row of a plain SQL query (with %s placeholders), or None."""
    return _run(_db(), statement, params, _first)


def fetch_all(statement: str, params=()) -> list[tuple]:
    """Every row of a plain SQL query (with %s placeholders)."""
    return _run(_db(), statement, params, _all)


def execute(statement: str, params=()) -> int:
    """Run a plain SQL write; answers the number of rows it changed."""
    return _run(_db(), statement, params, _count)


def execute_many(statement: str, param_rows) -> None:
    """Run a plain SQL write once for each set of parameters."""
    _run(_db(), statement, param_rows, _count, many=True)


# Field classes whose value of this exact type (or None) goes to the database as it is: their preparation
# would hand back the same value. Any other field, or value, is prepared by the field itself. Text fields
# hand on any str (text choices are a str subclass) as it is.
_AS_IS = {
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.BooleanField: bool,
    models.FloatField: float,
}
_TEXT = (models.CharField, models.TextField, models.EmailField, models.SlugField)
_OWN_WAY = object()  # a value a quick preparer leaves to the field


def _preparer(field, db):
    """A quick way to the value the field's own preparation gives, for the types intake writes all the
    time (its layers of checks cost more than the statement); None: always the field's own way."""
    field_class = type(field)
    if field_class in _TEXT:
        return lambda value: value if value is None or isinstance(value, str) else _OWN_WAY
    if field_class is models.DateTimeField and not (field.auto_now or field.auto_now_add):
        # An aware datetime: only the backend's adaptation is left, which on SQLite is the text of the time
        # in the connection's zone (the backend's own way checks the setting and the value again).
        adapt = _sqlite_datetime(db.timezone) if db.vendor == "sqlite" else db.ops.adapt_datetimefield_value

        def prepare_datetime(value):
            if value is None:
                return None
            return adapt(value) if type(value) is datetime.datetime and value.tzinfo else _OWN_WAY

        return prepare_datetime
    if field_class is models.JSONField:
        adapt, encoder = db.ops.adapt_json_value, field.encoder
        return lambda value: adapt(value, encoder) if type(value) in (dict, list) else _OWN_WAY
    if field_class is models.ForeignKey and isinstance(field.target_field, models.AutoField):
        kind = int  # the id as it is (BigAutoField and SmallAutoField are AutoFields too)
    else:
        kind = _AS_IS.get(field_class)
    if kind is None:
        return None
    return lambda value: value if value is None or type(value) is kind else _OWN_WAY


def _sqlite_datetime(zone):
    return lambda value: str(value.astimezone(zone).replace(tzinfo=None))


def _values(instance, fields, preparers, add: bool, db) -> list:
    values = []
    for field, prepare in zip(fields, preparers, strict=True):
        if prepare is not None:
            value = prepare(getattr(instance, field.attname))
            if value is not _OWN_WAY:
                values.append(value)
                continue
        values.append(field.get_db_prep_save(field.pre_save(instance, add), db))
    return values


def insert(instance, *, unless_conflict: bool = False) -> bool:
    """Insert a new instance, as save() would, and give it its primary key. `unless_conflict`: a row that
    would break a unique constraint is not written (ON CONFLICT DO NOTHING, on PostgreSQL and SQLite
    alike) and False is answered, where otherwise IntegrityError breaks the transaction: the caller needs
    no savepoint to carry on."""
    db = _db()
    statement, fields, preparers = _insert_statement(db, type(instance), 1, unless_conflict)
    written = _run(db, statement, _values(instance, fields, preparers, True, db), _first)
    if written is None:
        return False
    instance.pk = written[0]
    instance._state.adding, instance._state.db = False, db.alias
    return True


def insert_many(instances: list) -> None:
    """Insert new instances of one model in one statement, as save() would each, and give each its
    primary key (RETURNING answers them in the order of the rows, on PostgreSQL and SQLite alike, as
    Django's bulk_create relies on)."""
    if not instances:
        return
    db = _db()
    statement, fields, preparers = _insert_statement(db, type(instances[0]), len(instances), False)
    values = [value for item in instances for value in _values(item, fields, preparers, True, db)]
    for instance, (pk,) in zip(instances, _run(db, statement, values, _all), strict=True):
        instance.pk = pk
        instance._state.adding, instance._state.db = False, db.alias


def _insert_statement(db, model, count: int, unless_conflict: bool) -> tuple[str, list, list]:
    statements = _statements(db)
    key = (model, "insert", count, unless_conflict)
    if key not in statements:
        meta = model._meta
        fields = [field for field in meta.concrete_fields if not field.primary_key]
        quote = db.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        marks = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * count)
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        skip = " ON CONFLICT DO NOTHING" if unless_conflict else ""
        statement = f"INSERT INTO {table} ({columns}) VALUES {marks}{skip} RETURNING {pk}"
        statements[key] = (statement, fields, [_preparer(field, db) for field in fields])
    return statements[key]


def update(instance, fields: list[str]) -> None:
    """Write these fields of a saved instance, as save(update_fields=fields) would."""
    db = _db()
    model = type(instance)
    key = (model, "update", tuple(fields))
    statements = _statements(db)
    if key not in statements:
        meta = model._meta
        chosen = [meta.get_field(name) for name in fields]
        quote = db.ops.quote_name
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in chosen)
        statement = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
        statements[key] = (statement, chosen, [_preparer(field, db) for field in chosen])
    statement, chosen, preparers = statements[key]
    _run(db, statement, [*_values(instance, chosen, preparers, False, db), instance.pk], _count)
