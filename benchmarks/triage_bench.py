"""The staff triage workspace at a seeded size (run on demand, after ``benchmarks/seed.py``).

    .venv/bin/python benchmarks/triage_bench.py

Prints, for the triage dashboard's counts, the query plan's scans of each count (EXPLAIN
ANALYZE: which index serves it, or a sequential scan) and its time; then the queries of
the admin ticket list with 10 and with 100 rows a page, of the dashboard and of the live
poll (``admin:live``), which must not grow with the page size or the data.
Uses the database of ``pages_bench.py`` (DATABASE_URL, default ``helpdesk_bench100k``),
migrated first.
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pages_bench import STAFF, configure, logged_in  # noqa: E402

SCAN = re.compile(r"((?:Parallel )?(?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)"
                  r"(?: using \w+)? on \w+)")


def main() -> None:
    configure()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User
    from helpdesk.admin import DASHBOARD
    from tickets.admin import TicketAdmin
    from tickets.models import Ticket
    from tickets.selectors import queue_condition

    call_command("migrate", verbosity=0)
    staff = User.objects.get(email=STAFF)
    print(f"{Ticket.objects.count():,} tickets\n")
    print("| dashboard count | result | scans | ms |")
    print("|---|---:|---|---:|")
    now = timezone.now()
    for name in DASHBOARD:
        queryset = Ticket.objects.filter(queue_condition(name, user=staff, now=now))
        sql, params = queryset.values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            explain = f"EXPLAIN (ANALYZE, FORMAT TEXT) SELECT count(*) FROM ({sql}) q"  # noqa: S608
            cursor.execute(explain,
                           params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        scans = sorted(set(SCAN.findall(plan)))
        took = re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)
        print(f"| {name} | {queryset.count():,} | {'; '.join(scans)} | {took} |")

    client = logged_in(staff)
    changelist = reverse("admin:tickets_ticket_changelist")
    print("\n| page | queries |")
    print("|---|---:|")
    for rows in (10, 100):
        TicketAdmin.list_per_page = rows
        client.get(changelist)  # warm: caches of the first request are not the page's
        with CaptureQueriesContext(connection) as queries:
            assert client.get(changelist).status_code == 200
        print(f"| admin ticket list, {rows} rows | {len(queries)} |")
    for label, url in (("triage dashboard", reverse("admin:index")),
                       ("live poll with counts", reverse("admin:live") + "?counts=1")):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        print(f"| {label} | {len(queries)} |")


if __name__ == "__main__":
    main()
