"""Case search: one service, SQLite FTS5 or PostgreSQL full-text search underneath.

The subject and text of every message are indexed; a search finds the open cases that contain every
word, in any of their messages. On SQLite the index holds one document per case (its rowid is the case
id), so a match yields case ids straight from the index; PostgreSQL indexes each message with a GIN
expression index and looks each word up on its own.
User input is never passed as query syntax, so no search string can make the database raise.
"""

import re
from collections import defaultdict

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from frontline.cases.models import Message
from frontline.core import rows

FTS_TABLE = "cases_case_fts"
# PostgreSQL's parser keeps "walkerblog.example" or "sam@walkerblog.example" as one token, where SQLite's
# splits them into words; splitting on punctuation first makes both find a site by any part of its name.
PG_DOCUMENT = "to_tsvector('english', regexp_replace(subject || ' ' || body_text, '[^[:alnum:]]+', ' ', 'g'))"


def _words(query: str) -> list[str]:
    return re.findall(r"\w+", query.lower())[:12]


def index_messages(entries, *, new_cases: bool = False) -> None:
    """Add (message_id, case_id, subject, body_text) rows, in order, to their cases' documents.

    `new_cases` says that no row's case has a document yet (the bulk path), so each is written once.
    PostgreSQL indexes messages itself.
    """
    if connection.vendor != "sqlite" or not entries:
        return
    texts: dict[int, list[str]] = defaultdict(list)
    for _message_id, case_id, subject, body in entries:
        texts[case_id].append(f"{subject}\n{body}")
    documents = [(case_id, "\n".join(parts)) for case_id, parts in texts.items()]
    if not new_cases:
        extend = f"UPDATE {FTS_TABLE} SET text = text || %s WHERE rowid = %s"
        documents = [
            (case_id, text) for case_id, text in documents if not rows.execute(extend, ["\n" + text, case_id])
        ]
    if documents:
        # REPLACE: a document left behind by deleted cases (a flushed database) gives way to the new case.
        rows.execute_many(f"INSERT OR REPLACE INTO {FTS_TABLE}(rowid, text) VALUES (%s, %s)", documents)


def clear_index() -> None:
    """Empty the search index; for when every case is deleted (`flush`), which does not know of it."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")


def matching_cases(query: str) -> Q | RawSQL | None:
    """A filter for cases whose messages contain every word of `query`, or None for an empty query."""
    words = _words(query)
    if not words:
        return None
    if connection.vendor == "sqlite":
        # Each word quoted: FTS5 operators and punctuation in user input are taken literally.
        match = " ".join(f'"{word}"' for word in words)
        # The unary + keeps SQLite from looking every match up by primary key (a common word matches tens
        # of thousands of cases) and makes it walk the inbox's own index instead, probing the matches:
        # bounded by the number of open cases, whatever the words.
        return RawSQL(
            f'+"cases_case"."id" IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)',
            [match],
            output_field=BooleanField(),
        )
    # One indexed subquery per word, so that, as on SQLite, the words may be in different messages.
    condition = Q()
    for word in words:
        condition &= Q(
            pk__in=RawSQL(
                f"SELECT case_id FROM cases_message WHERE {PG_DOCUMENT} @@ plainto_tsquery('english', %s)",
                [word],
            )
        )
    return condition


def reindex_case(case_id: int) -> None:
    """Rewrite one case's document from its messages, after messages moved in or out (merge, split)."""
    if connection.vendor != "sqlite":
        return

    texts = [
        f"{subject}\n{body}"
        for subject, body in Message.objects.filter(case_id=case_id)
        .order_by("created_at", "pk")
        .values_list("subject", "body_text")
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [case_id])
        if texts:
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (%s, %s)", [case_id, "\n".join(texts)]
            )
