"""Writing many rows at once: plain multi-row INSERTs with ids reserved in advance, values converted as the
database wants them, and the indexes the demo seed can rebuild afterwards deferred."""

import contextlib
import datetime
import functools
import json
import operator
from collections import defaultdict
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection, models, transaction

from frontline.cases import search
from frontline.cases.models import Case, Message
from frontline.customers.models import ContactPoint, Customer, Membership, Person, ServiceUnit
from frontline.events.models import Event

# Fields whose Python values need Django's conversion for the database; all others go as they are.
# (Bytes go as they are: both drivers take them, and Django's memoryview would not cross processes.)
_CONVERTED = (models.DateTimeField, models.DateField, models.JSONField, models.DecimalField)


CaseUnits = Case.affected_units.through
BULK_TABLES = (Customer, ServiceUnit, Person, Membership, ContactPoint, Case, CaseUnits, Message, Event)


@contextlib.contextmanager
def indexes_deferred(enabled: bool = True):
    """On SQLite, drop the bulk tables' secondary indexes for the block and build them once at the end.

    Maintaining an index row by row costs about 20 us a row once a table is large (its pages are hit at
    random); building it afterwards from sorted data costs a fraction of that. Unique indexes are built
    again too, so a duplicate written in bulk still fails, at the end instead of at once.
    """
    if not enabled or connection.vendor != "sqlite":
        yield
        return
    tables = [model._meta.db_table for model in BULK_TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
        indexes = [(name, sql) for name, sql, table in cursor.fetchall() if table in tables]
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA threads=4")  # index builds sort with helper threads
            for _, sql in indexes:
                cursor.execute(sql)
            cursor.execute("ANALYZE")


# Rows nothing else refers to by id: the database numbers them, in the order they are written.
SELF_NUMBERED = (Event, CaseUnits)


@dataclass
class Batch:
    """Rows ready to write: statements with converted parameters, made without touching the database,
    so that other processes can prepare them while one writes."""

    statements: list[tuple[str, list[tuple]]]
    search_rows: list[tuple]
    counts: dict[str, int]
    numbered: list  # models whose ids were given here, so PostgreSQL's sequences must move past them


class BulkWriter:
    """Collects rows with pre-allocated ids and writes them with one executemany per table."""

    def __init__(self):
        self.rows: dict[type, list[dict]] = defaultdict(list)
        self.next_ids: dict[type, int] = {}
        self.search_rows: list[tuple] = []

    def new_id(self, model) -> int:
        if model not in self.next_ids:
            top = model.objects.aggregate(top=models.Max("pk"))["top"] or 0
            self.next_ids[model] = top + 1
        pk = self.next_ids[model]
        self.next_ids[model] = pk + 1
        return pk

    def add(self, model, **values) -> dict:
        if model not in SELF_NUMBERED:
            values["id"] = self.new_id(model)
        self.rows[model].append(values)
        return values

    def event(
        self,
        kind,
        at,
        /,
        *,
        actor_id=None,
        actor_person_id=None,
        actor_label="",
        via="",
        case_id=None,
        customer_id=None,
        unit_id=None,
        **data,
    ) -> None:
        self.add(
            Event,
            kind=kind,
            at=at,
            actor_id=actor_id,
            actor_person_id=actor_person_id,
            actor_label=actor_label if actor_id is None else "",
            via=via,
            case_id=case_id,
            customer_id=customer_id,
            unit_id=unit_id,
            data=data,
        )

    def prepare(self) -> Batch:
        statements, counts = [], {}
        for model in BULK_TABLES:
            rows = self.rows.pop(model, [])
            if rows:
                statements.append(_statement(model, rows))
                counts[model._meta.label] = len(rows)
        batch = Batch(statements, self.search_rows, counts, list(self.next_ids))
        self.search_rows = []
        return batch

    def flush(self) -> dict[str, int]:
        return write(self.prepare())


@transaction.atomic
def write(batch: Batch) -> dict[str, int]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Index pages of a growing table are touched at random; a large cache keeps them in memory.
            cursor.execute("PRAGMA cache_size=-1048576")
            # Straight to the driver: Django's wrapper re-reads every parameter row, a third of the cost here.
            raw = connection.connection
            for sql, params in batch.statements:
                raw.executemany(sql.replace("%s", "?"), params)
        else:
            for sql, params in batch.statements:
                for start in range(0, len(params), 5000):
                    cursor.executemany(sql, params[start : start + 5000])
    # Every case of a bulk batch is new, and all its messages are in the batch.
    search.index_messages(batch.search_rows, new_cases=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), batch.numbered):
                cursor.execute(sql)
    return batch.counts


@functools.lru_cache(maxsize=65536)
def _sqlite_datetime(value):
    # What Django's SQLite backend stores: naive UTC in ISO form (see adapt_datetimefield_value).
    # Cached: a case's timestamps repeat across its row, its messages and its events.
    return None if value is None else str(value.astimezone(datetime.UTC).replace(tzinfo=None))


def _converter(field):
    """A fast equivalent of field.get_db_prep_save for the common types; Django's own for the rest."""
    if not isinstance(field, _CONVERTED):
        return None
    if isinstance(field, models.JSONField) and not field.null:
        if connection.vendor == "sqlite":
            return json.dumps
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            return Jsonb
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite":
            return _sqlite_datetime
        if connection.vendor == "postgresql":
            return None
    return lambda value: field.get_db_prep_save(value, connection)


def _statement(model, rows: list[dict]) -> tuple[str, list[tuple]]:
    fields = [f for f in model._meta.concrete_fields if f.attname in rows[0]]
    missing = {f.attname for f in model._meta.concrete_fields} - {f.attname for f in fields}
    if model in SELF_NUMBERED:
        missing.discard("id")
    if missing:
        raise ValueError(f"bulk rows for {model.__name__} lack {sorted(missing)}")
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    converted = [(f.attname, convert) for f in fields if (convert := _converter(f))]
    as_tuple = operator.itemgetter(*[f.attname for f in fields])
    for row in rows:
        for name, convert in converted:
            row[name] = convert(row[name])
    return sql, [as_tuple(row) for row in rows]
