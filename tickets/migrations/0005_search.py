"""Indexes for finding tickets by their words (tickets.search), on PostgreSQL only.

- pg_trgm and a trigram GIN index on the subject: ``subject % text`` and
  ``text <% subject`` (typos, short subjects).
- A GIN index on the document expression: subject (weight A) and description (weight B),
  each in the Russian and the English text search configuration. ``tickets.search``
  builds the very same expression, so the planner can use this index for ``@@``.

Neither changes the model state: on SQLite (the demo) this migration does nothing.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations

TRIGRAM_INDEX = "ticket_subject_trgm_idx"
DOCUMENT_INDEX = "ticket_document_fts_idx"


def _indexes():
    # Frozen here on purpose; tickets.search.document_vector() must stay identical
    # (tests/test_search.py checks with EXPLAIN that this index serves the query).
    document = (
        SearchVector("subject", config="russian", weight="A")
        + SearchVector("body", config="russian", weight="B")
        + SearchVector("subject", config="english", weight="A")
        + SearchVector("body", config="english", weight="B")
    )
    return [
        GinIndex(fields=["subject"], opclasses=["gin_trgm_ops"], name=TRIGRAM_INDEX),
        GinIndex(document, name=DOCUMENT_INDEX),
    ]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    ticket = apps.get_model("tickets", "Ticket")
    for index in _indexes():
        schema_editor.add_index(ticket, index)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    ticket = apps.get_model("tickets", "Ticket")
    for index in _indexes():
        schema_editor.remove_index(ticket, index)


class PostgresOnlyTrigramExtension(TrigramExtension):
    """CREATE EXTENSION pg_trgm on PostgreSQL; nothing elsewhere, in either direction."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # Other apps or databases may use pg_trgm too: leave the extension in place.
        pass


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0004_ticket_reopen_expired"),
    ]

    operations = [
        PostgresOnlyTrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
