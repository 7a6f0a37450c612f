"""The benchmark scripts' own databases: created when missing, dropped only on request
and only when their name says they are a benchmark's."""

import sys


def ensure_database(*, reset: bool = False, droppable_prefix: str = "") -> None:
    """Create the database of the current settings if it is missing; with ``reset``,
    drop it first (only a database whose name starts with ``droppable_prefix``)."""
    import psycopg2
    from django.conf import settings
    from psycopg2.extensions import ISOLATION_LEVEL_AUTOCOMMIT

    db = settings.DATABASES["default"]
    name = db["NAME"]
    if reset and not (droppable_prefix and name.startswith(droppable_prefix)):
        sys.exit(f"--reset drops only {droppable_prefix}* databases, not {name!r}")
    conn = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db["PASSWORD"] or None,
        host=db["HOST"], port=db["PORT"],
    )
    conn.set_isolation_level(ISOLATION_LEVEL_AUTOCOMMIT)
    with conn.cursor() as cursor:
        if reset:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
