"""Outbound mail benchmark: one real Celery worker, the real Redis, a real SMTP server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk \
    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python benchmarks/mail_bench.py

It creates a throw-away database beside DATABASE_URL's (dropped at the end), starts an
aiosmtpd server in this process and one worker (``--pool=solo``: one process, one mail at
a time) on a queue of its own, then measures:

- latency: a ticket is filed (through ``tickets.services.ticket_file``, which writes the
  requester's confirmation and the triage alert), and the clock runs from the call to each
  mail's arrival in the SMTP server; tickets are filed one after another. p50 / p95.
- throughput: many tickets are filed in one transaction; after its commit the worker drains
  the queue; mails per second from the commit to the last arrival.

Options: --latency-tickets N (default 50), --burst-tickets N (default 200).
"""

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))


class Sink:
    def __init__(self):
        self.arrivals: list[float] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.arrivals.append(time.monotonic())
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def wait(predicate, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for mail: see the worker log")
        time.sleep(0.002)


def create_database(base_url: str) -> tuple[str, str]:
    import psycopg2
    from environ import Env

    config = Env.db_url_config(base_url)
    name = f"helpdesk_mailbench_{os.getpid()}"
    admin = psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return name, base_url.rsplit("/", 1)[0] + "/" + name


def drop_database(base_url: str, name: str) -> None:
    import psycopg2
    from environ import Env

    config = Env.db_url_config(base_url)
    admin = psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


def bench_environment(prefix: str, *, redis_db: int) -> tuple[str, str, str]:
    """A database of its own and a queue of its own for one benchmark run, in the
    environment the project reads; returns (base URL, database name, queue)."""
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk")
    redis_url = os.environ.get("REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    db_name, db_url = create_database(base_url)
    queue = f"{prefix}-{uuid.uuid4().hex[:8]}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "MAIL_CELERY_QUEUE": queue,
            # One customer files every ticket: lift the storm caps for the measurement
            # (confirmations and alerts to support are never capped anyway).
            "MAIL_CAP_PER_TICKET": "1000000",
            "MAIL_CAP_PER_ADDRESS": "1000000",
            "LOG_LEVEL": "WARNING",
        }
    )
    return base_url, db_name, queue


def start_worker(queue: str, smtp_port: int, log_path: Path):
    """One real Celery worker on the queue, sending to the SMTP sink; (process, log)."""
    log = log_path.open("wb")
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
            "--hostname",
            f"{queue}@%h",
        ],
        cwd=PROJECT,
        env={**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return worker, log


@contextlib.contextmanager
def bench_worker(prefix: str, sink, *, redis_db: int):
    """The whole stage of a mail benchmark: its own database (dropped after), the SMTP
    sink listening, Django set up and migrated, and one real worker; yields the queue."""
    base_url, db_name, queue = bench_environment(prefix, redis_db=redis_db)
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    worker = log = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        log_path = Path(tempfile.gettempdir()) / f"{queue}.log"
        print(f"worker log: {log_path}")
        worker, log = start_worker(queue, port, log_path)
        yield queue
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
        if log is not None:
            log.close()
        controller.stop()
        from django.db import connections

        connections.close_all()
        drop_database(base_url, db_name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-tickets", type=int, default=50)
    parser.add_argument("--burst-tickets", type=int, default=200)
    args = parser.parse_args()

    sink = Sink()
    with bench_worker("mail-bench", sink, redis_db=15):
        run(args, sink, worker_ready=lambda: _warm_up(sink))


def _warm_up(sink) -> None:
    """One ticket through the whole path, so imports and connections are not measured."""
    from tests import factories  # the project's own factories: real services

    factories.AgentFactory()
    customer = factories.CustomerFactory()
    before = sink.count()
    factories.TicketFactory(requester=customer)
    wait(lambda: sink.count() >= before + 2, timeout=60)
    return customer


def run(args, sink, worker_ready) -> None:
    from django.db import transaction

    from tests import factories

    customer = worker_ready()

    latencies, first = [], []
    for _ in range(args.latency_tickets):
        before = sink.count()
        started = time.monotonic()
        factories.TicketFactory(requester=customer)
        wait(lambda before=before: sink.count() >= before + 2)
        arrived = sink.arrivals[before : before + 2]
        latencies += [a - started for a in arrived]
        first.append(min(arrived) - started)

    before = sink.count()
    with transaction.atomic():
        for _ in range(args.burst_tickets):
            factories.TicketFactory(requester=customer)
        committing = time.monotonic()
    expected = 2 * args.burst_tickets
    wait(lambda: sink.count() >= before + expected, timeout=600)
    drained = sink.arrivals[before + expected - 1] - committing

    ms = 1000
    print(f"filing → mail in the SMTP server, one worker (--pool=solo), {len(latencies)} mails:")
    p50, p95 = statistics.median(latencies) * ms, percentile(latencies, 0.95) * ms
    print(f"  p50 {p50:.0f} ms   p95 {p95:.0f} ms")
    print(
        f"  first mail of a ticket: p50 {statistics.median(first) * ms:.0f} ms   "
        f"p95 {percentile(first, 0.95) * ms:.0f} ms"
    )
    print(
        f"throughput: {expected} mails queued in one commit, drained in {drained:.2f} s: "
        f"{expected / drained:.1f} mails/s"
    )


if __name__ == "__main__":
    main()
