"""A stored search document for each ticket (tickets.search), on PostgreSQL only.

The document is a generated column: subject (weight A) and description (weight B), each
in the Russian and the English text search configuration, kept by PostgreSQL on every
insert and update (bulk ones included). Ranking reads it instead of recomputing
``to_tsvector`` of every match, and its GIN index replaces the expression index of 0005.
Ticket numbers get a trigram index, for lookups by the number's tail ("42").

None of this is in the model state: on SQLite (the demo) this migration does nothing, and
Django never selects or writes the column (tickets.search.StoredDocument reads it).
"""

from importlib import import_module

from django.db import migrations

FORWARD = [
    """
    ALTER TABLE tickets_ticket ADD COLUMN search_document tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('russian'::regconfig, coalesce(subject, '')), 'A')
        || setweight(to_tsvector('russian'::regconfig, coalesce(body, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(subject, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')
    ) STORED
    """,
    "CREATE INDEX ticket_search_document_idx ON tickets_ticket USING gin (search_document)",
    "DROP INDEX IF EXISTS ticket_document_fts_idx",
    "CREATE INDEX ticket_number_trgm_idx ON tickets_ticket USING gin (number gin_trgm_ops)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS ticket_number_trgm_idx",
    "DROP INDEX IF EXISTS ticket_search_document_idx",
    "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_document",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)
        # Back to 0005's expression index.
        previous = import_module("tickets.migrations.0005_search")
        ticket = apps.get_model("tickets", "Ticket")
        for index in previous._indexes():
            if index.name == previous.DOCUMENT_INDEX:
                schema_editor.add_index(ticket, index)


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0009_sender_unverified"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
