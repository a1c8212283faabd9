"""Full-text search over messages: an FTS5 table on SQLite, an expression GIN index on PostgreSQL."""

from django.db import migrations

from frontline.cases.search import FTS_TABLE, PG_DOCUMENT


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, tokenize='porter unicode61')"
        )
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX message_fulltext ON cases_message USING gin (({PG_DOCUMENT}))")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE {FTS_TABLE}")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX message_fulltext")


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
