"""The SLA sweep at a million open tickets, on PostgreSQL (run on demand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \
        .venv/bin/python benchmarks/sla_sweep_bench.py [--tickets 1000000] [--due 1000]

Creates (or reuses) the benchmark database, fills it with N open tickets whose
deadlines are spread over the coming year and `--due` of them past their deadline, then
prints the query plan of each sweep statement and the time one whole sweep takes.
Every statement runs inside a transaction that is rolled back, so the run can repeat.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench")


def ensure_database():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _database import ensure_database as ensure

    ensure()


def fill(count: int, due: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        have = cursor.fetchone()[0]
        if have >= count:
            print(f"reusing {have:,} tickets")
            _managers(cursor)
            return
        print(f"inserting {count - have:,} tickets …", flush=True)
        cursor.execute(
            "INSERT INTO accounts_organisation (name, contract_number, is_active) "
            "VALUES ('Bench Org', 'B-1', true) ON CONFLICT (name) DO NOTHING"
        )
        cursor.execute("SELECT id FROM accounts_organisation WHERE name = 'Bench Org'")
        org = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff,"
            " is_active, date_joined, email, full_name, role, organisation_id, language) "
            "VALUES ('!', false, '', '', false, true, now(), 'bench@example.com', 'Bench', "
            "'customer_employee', %s, 'en') ON CONFLICT (email) DO NOTHING",
            [org],
        )
        cursor.execute("SELECT id FROM accounts_user WHERE email = 'bench@example.com'")
        user = cursor.fetchone()[0]
        _managers(cursor)
        # Deadlines spread over the next year; the first `due` tickets are overdue. The
        # other columns come from the model's own defaults, so a new field cannot break it.
        given = {
            "number": "'B-' || g",
            "organisation_id": "%(org)s",
            "requester_id": "%(user)s",
            "subject": "'Bench ticket ' || g",
            "type": "'incident'",
            "priority": "3",
            "status": "CASE WHEN g %% 4 = 0 THEN 'new' ELSE 'in_progress' END",
            "created_at": "now()",
            "updated_at": "now()",
            "reaction_state": "CASE WHEN g %% 4 = 0 THEN 'running' ELSE 'met' END",
            "resolution_state": "'running'",
            "reaction_due": "CASE WHEN g <= %(due)s THEN now() - interval '1 minute' "
            "ELSE now() + (g || ' seconds')::interval END",
            "reaction_risk_at": "CASE WHEN g <= %(due)s THEN now() - interval '2 minutes' "
            "ELSE now() + (g || ' seconds')::interval - interval '1 hour' END",
            "resolution_due": "CASE WHEN g <= %(due)s THEN now() - interval '1 minute' "
            "ELSE now() + (g * 2 || ' seconds')::interval END",
            "resolution_risk_at": "CASE WHEN g <= %(due)s THEN now() - interval '2 minutes' "
            "ELSE now() + (g * 2 || ' seconds')::interval - interval '1 hour' END",
        }
        params = {"org": org, "user": user, "due": due, "start": have + 1, "stop": count}
        columns, values = _ticket_columns(given, params, connection)
        cursor.execute(
            f"INSERT INTO tickets_ticket ({', '.join(columns)}) "  # noqa: S608 - model columns
            f"SELECT {', '.join(values)} FROM generate_series(%(start)s, %(stop)s) AS g",
            params,
        )
        cursor.execute("ANALYZE tickets_ticket")


def _managers(cursor) -> None:
    """Two managers: the tickets are unassigned, so every warning and breach mails triage
    (the managers), as on a real desk: the sweep writes its mail rows too."""
    for n in (1, 2):
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, first_name, last_name,"
            " is_staff, is_active, date_joined, email, full_name, role, language) "
            "VALUES ('!', false, '', '', true, true, now(), %s, %s, 'manager', 'en') "
            "ON CONFLICT (email) DO NOTHING",
            [f"bench-manager{n}@example.com", f"Bench Manager {n}"],
        )


def _ticket_columns(given: dict, params: dict, connection) -> tuple[list, list]:
    """Every concrete column of Ticket: the SQL given, else the field's own default."""
    from tickets.models import Ticket

    columns, values = [], []
    for field in Ticket._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in given:
            values.append(given[field.column])
            continue
        default = field.get_default()
        params[f"default_{field.column}"] = field.get_db_prep_save(default, connection)
        values.append(f"%(default_{field.column})s")
    return columns, values


def explain_and_time() -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from sla import services
    from tickets import periodic

    now = timezone.now()
    table = "tickets_ticket"
    for state_col, moment_col, old_states, new_state, _kind in services.SWEEPS:
        states = ", ".join(f"'{s}'" for s in old_states)
        # Names come from the constant SWEEPS table, never from input.
        sql = (
            f"EXPLAIN (ANALYZE, BUFFERS) UPDATE {table} SET {state_col} = '{new_state}' "  # noqa: S608
            f"WHERE {state_col} IN ({states}) AND {moment_col} <= %s RETURNING id"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [now])
            plan = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        print(f"\n-- {state_col} -> {new_state} on {moment_col}")
        print("\n".join(plan))

    timings = []
    for _ in range(5):
        with transaction.atomic():
            started = time.perf_counter()
            counts = periodic.sla_sweep(now=now)
            timings.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    timings.sort()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_user WHERE role = 'manager'")
        managers = cursor.fetchone()[0]
    print(f"\nwhole sweep (4 statements, their events and the mail to {managers} managers),"
          f" rolled back: {counts}")
    print(f"median {timings[2] * 1000:.1f} ms, best {timings[0] * 1000:.1f} ms over 5 runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()
    import django

    django.setup()
    ensure_database()
    fill(args.tickets, args.due)
    explain_and_time()


if __name__ == "__main__":
    main()
