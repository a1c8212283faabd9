"""Schema changes that migrations of several apps share.

`db_index=True` on a text column gives it two indexes on PostgreSQL: the B-tree that equality and IN use,
and a copy in `varchar_pattern_ops` that only `LIKE 'abc%'` can use. Frontline looks Message-IDs and
addresses up by equality alone, so the copy is written on every insert (a fan-out's email, every message)
and read by nothing: 269 MB on the attempts and 132 MB on the messages at a million customers, with
`idx_scan` 0 after every benchmark. `index_without_pattern_copy` keeps the B-tree (renamed, not rebuilt:
rebuilding locks a large table's writes for minutes) and drops the copy.
"""

from django.db import migrations, models


def index_without_pattern_copy(model_name: str, table: str, field_name: str, field, *, old: str, new: str):
    """An operation: the column's `db_index` becomes the declared index `new` (Meta.indexes), without the
    LIKE copy. `field`: the field as it now is (db_index=False); `old`: the index Django named for it."""
    column = field.db_column or field_name

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {old}_like")
            schema_editor.execute(f"ALTER INDEX IF EXISTS {old} RENAME TO {new}")
        else:  # SQLite never made the copy, and renames no index: the one-machine database is small
            schema_editor.execute(f"DROP INDEX IF EXISTS {old}")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {new} ON {table} ({column})")

    def backward(apps, schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {new}")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {old} ON {table} ({column})")
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {old}_like ON {table} ({column} varchar_pattern_ops)"
            )

    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(model_name=model_name, name=field_name, field=field),
            migrations.AddIndex(model_name=model_name, index=models.Index(fields=[field_name], name=new)),
        ],
        database_operations=[migrations.RunPython(forward, backward)],
    )
