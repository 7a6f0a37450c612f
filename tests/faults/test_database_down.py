"""Inbound mail during a database outage: ``fetch_mail`` exits with 75 (EX_TEMPFAIL, what
cron wrappers and mail transfer agents retry) and leaves the message where it was; the
next run, with the database back, files it, and its mail goes out once.

The database is a PostgreSQL cluster of the test's own (``own_postgres``), holding a copy
of the test database (the customer who writes, the agent who is alerted). The test stops it
as a crash would, runs the command as cron does (a process of its own, with
``DATABASE_URL`` pointing at the stopped server), starts it again and runs the command
once more; a real worker then sends the ticket's mail into the SMTP sink.
"""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import User
from mailin.models import InboundMessage
from notifications.models import Notification
from tests.inbound.conftest import render
from tests.notifications.conftest import wait_for
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = Path(__file__).resolve().parents[2]
EX_TEMPFAIL = 75


def fetch_mail(database_url: str, maildrop: Path, done: Path, redis, settings):
    """``python manage.py fetch_mail MAILDROP --done-dir DONE``, as cron runs it."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "MAIL_CELERY_QUEUE": settings.MAIL_CELERY_QUEUE,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SITE_URL": settings.SITE_URL,
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "fetch_mail", str(maildrop), "--done-dir", str(done)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_fetch_mail_with_the_database_down_exits_75_keeps_the_message_and_the_next_run_files_it(
    redis, mail_worker, own_smtp_sink, own_postgres, customer, agent, tmp_path, settings
):
    maildrop, done = tmp_path / "maildrop", tmp_path / "done"
    maildrop.mkdir()
    message = maildrop / "new_ticket_plain.eml"
    raw = render("new_ticket_plain.eml", customer=customer.email, support=settings.SUPPORT_EMAIL)
    message.write_bytes(raw)
    database = own_postgres.copy_database(connection.settings_dict)

    own_postgres.stop()  # the database crashes
    down = fetch_mail(database, maildrop, done, redis, settings)
    output = f"exit {down.returncode}\nstdout:\n{down.stdout}\nstderr:\n{down.stderr[-3000:]}"
    assert down.returncode == EX_TEMPFAIL, output
    assert files_in(maildrop) == [message.name] and message.read_bytes() == raw, output
    assert files_in(done) == [], output

    own_postgres.start()  # back
    table = {m: m._meta.db_table for m in (InboundMessage, Ticket, User, Notification)}
    assert own_postgres.query(f"SELECT count(*) FROM {table[InboundMessage]}") == [(0,)]
    smtp_sink = own_smtp_sink
    worker = mail_worker({"DATABASE_URL": database}, sink=smtp_sink)
    up = fetch_mail(database, maildrop, done, redis, settings)
    output = f"exit {up.returncode}\nstdout:\n{up.stdout}\nstderr:\n{up.stderr[-3000:]}"
    assert up.returncode == 0, output
    assert files_in(maildrop) == [] and files_in(done) == [message.name], output

    tickets = own_postgres.query(
        f"SELECT t.number, t.channel, u.email FROM {table[Ticket]} t "
        f"JOIN {table[User]} u ON u.id = t.requester_id"
    )
    assert len(tickets) == 1, tickets
    number, channel, requester = tickets[0]
    assert (channel, requester) == ("email", customer.email), tickets
    inbound = own_postgres.query(f"SELECT status FROM {table[InboundMessage]}")
    assert inbound == [("ticket",)], (inbound, output)

    # The ticket's mail (the confirmation to the customer, the alert to the agent), once.
    outbox = dict(own_postgres.query(f"SELECT message_id, to_email FROM {table[Notification]}"))
    assert sorted(outbox.values()) == sorted([customer.email, agent.email]), outbox
    wait_for(lambda: set(outbox) <= set(smtp_sink.message_ids()), timeout=60, worker=worker)
    redis.settle(settings.MAIL_CELERY_QUEUE)  # a copy of a task still queued could send twice
    arrived = smtp_sink.message_ids()
    assert arrived == Counter(dict.fromkeys(outbox, 1)), (arrived, outbox)
    statuses = own_postgres.query(f"SELECT DISTINCT status FROM {table[Notification]}")
    assert statuses == [("sent",)], statuses
    print(f"{number} filed by the second run; its {len(outbox)} mails arrived once")
