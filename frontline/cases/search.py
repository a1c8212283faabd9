"""Case search: one service, SQLite FTS5 or PostgreSQL full-text search underneath.

Every message's subject and text are indexed; a search finds the cases whose messages match all words.
User input is never passed as query syntax, so no search string can make the database raise.
"""

import re

from django.db import connection
from django.db.models.expressions import RawSQL

FTS_TABLE = "cases_message_fts"
# PostgreSQL's parser keeps "walkerblog.example" or "sam@walkerblog.example" as one token, where SQLite's
# splits them into words; splitting on punctuation first makes both find a site by any part of its name.
PG_DOCUMENT = "to_tsvector('english', regexp_replace(subject || ' ' || body_text, '[^[:alnum:]]+', ' ', 'g'))"


def _words(query: str) -> list[str]:
    return re.findall(r"\w+", query.lower())[:12]


def index_messages(rows) -> None:
    """Add (message_id, case_id, subject, body_text) rows to the index. PostgreSQL indexes itself."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE}(rowid, case_id, text) VALUES (%s, %s, %s)",
            [(message_id, case_id, f"{subject}\n{body}") for message_id, case_id, subject, body in rows],
        )


def matching_case_ids(query: str) -> RawSQL | None:
    """A subquery of case ids whose messages contain every word of `query`, or None for an empty query."""
    words = _words(query)
    if not words:
        return None
    if connection.vendor == "sqlite":
        # Each word quoted: FTS5 operators and punctuation in user input are taken literally.
        match = " ".join(f'"{word}"' for word in words)
        return RawSQL(f"SELECT case_id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
    return RawSQL(
        f"SELECT case_id FROM cases_message WHERE {PG_DOCUMENT} @@ plainto_tsquery('english', %s)",
        [" ".join(words)],
    )
