"""The demo, as `./scripts/demo` builds it: on SQLite, in a fresh process (the suite's
database is PostgreSQL), migrated from nothing, filled twice (the second run adds
nothing), then read the way a visitor would find it."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

# What a visitor would look at, printed as JSON by a fresh process on the demo database.
READ_BACK = r"""
import json
from collections import Counter
from django.db import connection
from django.utils import timezone
from accounts.models import AccountRequest, User
from billing.models import OutOfHoursRequest, Statement, TimeEntry
from moderation.models import Flag
from sla import display
from tickets import search
from tickets.models import Ticket, TicketEvent

tickets = list(Ticket.objects.order_by("number"))
anna = User.objects.get(email="anna@northwind.example")
query = "Card payments fail with error 502"
created = [t.created_at for t in tickets]
print(json.dumps({
    "vendor": connection.vendor,
    "reactions": [display.reaction_line(t) for t in tickets],
    "resolutions": [display.resolution_line(t) for t in tickets],
    "statuses": dict(Counter(t.status for t in tickets)),
    "numbers_follow_dates": [t.pk for t in sorted(tickets, key=lambda t: t.created_at)]
        == [t.pk for t in tickets],
    "span_days": (max(created) - min(created)).days,
    "distinct_minutes": len({c.replace(second=0, microsecond=0) for c in created}),
    "reopened": TicketEvent.objects.filter(kind="status", old_value="closed",
                                           new_value="in_progress").count(),
    "watched": Ticket.objects.filter(watchers__isnull=False).distinct().count(),
    "statements": sorted(Statement.objects.values_list("status", flat=True)),
    "statement_months_over": all(s.period_end <= timezone.now()
                                 for s in Statement.objects.all()),
    "time_entries": {
        "business": TimeEntry.objects.filter(business_seconds__gt=0).count(),
        "approved_ooh": TimeEntry.objects.filter(approved_ooh_seconds__gt=0).count(),
        "unapproved_unreviewed": TimeEntry.objects.filter(
            ooh_flagged=True, ooh_reviewed_at__isnull=True).count(),
        "unapproved_reviewed": TimeEntry.objects.filter(
            ooh_flagged=True, ooh_reviewed_at__isnull=False).count(),
    },
    "ooh": sorted(OutOfHoursRequest.objects.values_list("status", flat=True)),
    "account_requests": list(AccountRequest.objects.values_list("status", flat=True)),
    "flags": list(Flag.objects.filter(reviewed_at__isnull=True, comment__isnull=False)
                  .values_list("words", flat=True)),
    "similar": [t.subject for t in search.similar_open_tickets(user=anna, text=query)],
    "open_subjects": [t.subject for t in tickets if t.status in
                      ("new", "in_progress", "waiting_for_customer")
                      and t.organisation_id == anna.organisation_id],
    "search_page": [t.subject for t in search.search_tickets(user=anna, query=query)],
    "search_payments": [t.subject for t in search.search_tickets(user=anna,
                                                                 query="online payments")],
}))
"""


def _run(var: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "EMAIL_URL",
                                                            "EMAIL_BACKEND", "DATABASE_URL")}
    env.update(VAR_DIR=str(var), DATABASE_URL=f"sqlite:///{var / 'demo.sqlite3'}",
               DEBUG="true", LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True,
        text=True, check=True, timeout=240,
    )


def test_the_demo_is_a_few_weeks_of_real_history_on_sqlite(tmp_path):
    var = tmp_path / "var"
    for folder in ("mail", "media", "celery/processed"):
        (var / folder).mkdir(parents=True)
    _run(var, "migrate", "--noinput", "-v0")

    first = _run(var, "demo_data").stdout
    second = _run(var, "demo_data").stdout
    assert "Demo data created: 15 tickets, 9 time entries, 2 statements." in first
    assert "Demo data is already in the database; nothing was added." in second
    assert "anna@northwind.example" in second

    demo = json.loads(_run(var, "shell", "-c", READ_BACK).stdout.strip().splitlines()[-1])
    assert demo["vendor"] == "sqlite"

    # Reactions took varied business hours; some deadlines were missed.
    reacted = [line for line in demo["reactions"] if line.startswith("Reacted in")]
    assert len(set(reacted)) >= 6, reacted
    assert "Reacted in 1.5 business hours (target 4 business hours)." in reacted
    assert "Reacted in 0 business hours" not in " ".join(reacted)
    assert any("Reaction overdue since" in line for line in demo["reactions"])
    assert any(line.endswith(": missed.") for line in demo["resolutions"])
    assert any("Resolution overdue since" in line for line in demo["resolutions"])

    # Filed over weeks, each at its own minute, numbered in the order they came.
    assert demo["span_days"] >= 14
    assert demo["distinct_minutes"] == 15
    assert demo["numbers_follow_dates"]

    # Every state, and what a representative and a manager have to look at.
    assert demo["statuses"] == {
        "new": 3, "in_progress": 2, "waiting_for_customer": 2, "resolved": 2,
        "closed": 4, "rejected": 2,
    }
    assert demo["reopened"] == 1
    assert demo["watched"] >= 3
    assert demo["statements"] == ["confirmed", "issued"]
    assert demo["statement_months_over"]
    assert demo["time_entries"] == {
        "business": 6, "approved_ooh": 1, "unapproved_unreviewed": 1, "unapproved_reviewed": 1,
    }
    assert demo["ooh"] == ["approved", "pending"]
    assert demo["account_requests"] == ["pending"]
    assert demo["flags"] == [["crap"]]

    # Find before you file, on SQLite: neither "with" nor the tickets that share no word
    # of the subject come up; the search page wants every word, as on PostgreSQL.
    similar = demo["similar"]
    assert similar == [
        "Bank statement import fails with an encoding error",
        "Online payments rejected since 09:40",
    ]
    unrelated = [s for s in demo["open_subjects"] if s not in similar]
    assert len(unrelated) >= 3
    assert demo["search_page"] == []
    assert demo["search_payments"] == ["Online payments rejected since 09:40"]
