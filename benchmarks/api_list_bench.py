"""The API's ticket list next to the portal's, at many tickets (run on demand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \
        .venv/bin/python benchmarks/api_list_bench.py [--tickets 100000] [--requests 200]

Fills the benchmark database as ``sla_sweep_bench.py`` does (one organisation, N
tickets), then prints the queries of one API list request per page size (they must not
grow with it) and requests per second of ``GET /api/v1/tickets/`` next to the portal's
``GET /tickets/``, both in-process through Django's test client, as the same customer.
"""

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("API_RATE_PER_TOKEN", "1000000/min")
os.environ.setdefault("API_RATE_PER_IP", "1000000/min")


def spread_filing_times() -> None:
    """The sweep benchmark files every ticket at the same instant; a real list has one
    ticket a minute or so, which is what the list's order and index meet."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET created_at = now() - (id || ' minutes')::interval "
            "WHERE number LIKE 'B-%%' AND created_at > now() - interval '1 minute' * id + "
            "interval '1 second'"
        )
        cursor.execute("ANALYZE tickets_ticket")


def queries_per_page(client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/api/v1/tickets/")  # the token's last use is written once a minute
    for size in (1, 10, 25, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/tickets/?page_size={size}")
        assert response.status_code == 200, response.content[:200]
        print(f"page_size={size:>3}: {len(queries)} queries, "
              f"{len(response.json()['results'])} tickets")


def rate(client, path: str, count: int) -> float:
    client.get(path)
    start = time.perf_counter()
    for _ in range(count):
        assert client.get(path).status_code == 200
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    import django
    import sla_sweep_bench

    django.setup()
    sla_sweep_bench.ensure_database()
    sla_sweep_bench.fill(args.tickets, due=0)
    spread_filing_times()

    from django.test import Client

    from accounts.models import User
    from api.tokens import api_token_create

    user = User.objects.get(email="bench@example.com")
    _token, raw = api_token_create(user=user, name="bench", scope="read")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    portal = Client()
    portal.force_login(user)

    print(f"{args.tickets:,} tickets, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    queries_per_page(api)
    api_rate = rate(api, "/api/v1/tickets/", args.requests)
    portal_rate = rate(portal, "/tickets/", args.requests)
    print(f"GET /api/v1/tickets/ (25 a page): {api_rate:6.1f} requests/s")
    print(f"GET /tickets/ (portal, 25 a page): {portal_rate:6.1f} requests/s")


if __name__ == "__main__":
    main()
