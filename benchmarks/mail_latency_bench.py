"""Filing-to-sink latency of the confirmation mail: at a steady rate and in a burst.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk \
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python benchmarks/mail_latency_bench.py

Set up as ``mail_bench.py`` is (whose helpers it uses): a throw-away database beside
DATABASE_URL's (dropped at the end), an aiosmtpd server in this process, one real Celery
worker (``--pool=solo``: one process, one mail at a time) on the real Redis, on a queue of
its own. Each ticket is filed through ``tickets.services.ticket_file`` in a transaction of
its own, which writes the requester's confirmation and the alert to support; the clock
runs from that transaction's commit (an on-commit hook registered before the ones that
queue the mail) to the confirmation's arrival in the SMTP server, matched by Message-ID.

- steady: --rate tickets per second (default 5) for --seconds (default 30);
- burst: --burst filings (default 300), one after another as fast as this process files.

Prints p50, p95 and the worst latency of the confirmations (and of the alerts to support)
per phase, and how long the worker took to send everything of the phase.
"""

import argparse
import statistics
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mail_bench import (  # noqa: E402
    bench_worker,
    percentile,
)


class Sink:
    """Keeps each mail's arrival time by its Message-ID."""

    def __init__(self):
        self.arrived: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        message_id = message_from_bytes(envelope.content, policy=policy.default)["Message-ID"]
        with self.lock:
            self.arrived.setdefault(message_id.strip(), now)
            self.count += 1
        return "250 OK"


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}: see the worker log")
        time.sleep(0.005)


class Filer:
    """Files tickets and notes each one's commit time."""

    def __init__(self, requester):
        self.requester = requester
        self.committed: dict[int, float] = {}  # ticket id -> monotonic time of the commit

    def file(self, n: int) -> int:
        from django.db import transaction

        from tickets import services
        from tickets.models import Priority, TicketType

        moment = {}
        with transaction.atomic():
            # Registered first, so it runs right after COMMIT, before the mail is queued.
            transaction.on_commit(lambda: moment.setdefault("t", time.monotonic()))
            ticket = services.ticket_file(
                requester=self.requester,
                subject=f"Invoice export fails for batch {n}",
                body="Steps:\n\n1. Open *Reports*\n2. Export\n\nExpected a file, got an error.",
                type=TicketType.INCIDENT,
                priority=Priority.NORMAL,
            )
        self.committed[ticket.pk] = moment["t"]
        return ticket.pk


def latencies(sink: Sink, filer: Filer, ticket_ids: list[int]) -> dict[str, list[float]]:
    from notifications.models import Event, Notification

    rows = Notification.objects.filter(
        ticket_id__in=ticket_ids, event__in=[Event.TICKET_FILED, Event.NEW_TICKET]
    ).values_list("ticket_id", "event", "message_id")
    found: dict[str, list[float]] = {Event.TICKET_FILED: [], Event.NEW_TICKET: []}
    with sink.lock:
        for ticket_id, event, message_id in rows:
            found[event].append(sink.arrived[message_id] - filer.committed[ticket_id])
    assert len(found[Event.TICKET_FILED]) == len(ticket_ids), "a confirmation is missing"
    return found


def expected_ids(ticket_ids: list[int]) -> set[str]:
    from notifications.models import Notification

    return set(
        Notification.objects.filter(ticket_id__in=ticket_ids).values_list("message_id", flat=True)
    )


def arrived_all(sink: Sink, ids: set[str]):
    def check() -> bool:
        with sink.lock:
            return ids <= sink.arrived.keys()

    return check


def steady(filer: Filer, sink: Sink, rate: float, seconds: float) -> dict:
    total = int(rate * seconds)
    ids, start, late = [], time.monotonic(), 0
    for n in range(total):
        due = start + n / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        elif pause < -0.05:  # more than 50 ms behind the schedule
            late += 1
        ids.append(filer.file(n))
    filed = time.monotonic() - start
    wanted = expected_ids(ids)
    wait(arrived_all(sink, wanted), 300, "the steady phase's mail")
    drained = max(sink.arrived[i] for i in wanted) - start
    return {
        "phase": f"steady {rate:g}/s for {seconds:g} s",
        "tickets": total,
        "filing": total / filed,
        "drained": drained,
        "late": late,
        **summary(latencies(sink, filer, ids)),
    }


def burst(filer: Filer, sink: Sink, count: int) -> dict:
    start = time.monotonic()
    ids = [filer.file(10_000 + n) for n in range(count)]
    filed = time.monotonic() - start
    wanted = expected_ids(ids)
    wait(arrived_all(sink, wanted), 600, "the burst's mail")
    drained = max(sink.arrived[i] for i in wanted) - start
    return {
        "phase": f"burst of {count}",
        "tickets": count,
        "filing": count / filed,
        "drained": drained,
        "late": 0,
        **summary(latencies(sink, filer, ids)),
    }


def summary(found: dict[str, list[float]]) -> dict:
    from notifications.models import Event

    ms = 1000
    confirmations, alerts = found[Event.TICKET_FILED], found[Event.NEW_TICKET]
    return {
        "p50": statistics.median(confirmations) * ms,
        "p95": percentile(confirmations, 0.95) * ms,
        "max": max(confirmations) * ms,
        "alert_p50": statistics.median(alerts) * ms if alerts else float("nan"),
        "alert_p95": percentile(alerts, 0.95) * ms if alerts else float("nan"),
    }


def report(results: list[dict]) -> None:
    print()
    print("filing (commit) → confirmation in the SMTP server, one worker (--pool=solo)")
    header = (
        f"{'phase':<24} {'tickets':>7} {'filed/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8} {'alert p50':>9} {'alert p95':>9} {'all sent':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['phase']:<24} {r['tickets']:>7} {r['filing']:>8.1f} {r['p50']:>8.0f} "
            f"{r['p95']:>8.0f} {r['max']:>8.0f} {r['alert_p50']:>9.0f} {r['alert_p95']:>9.0f} "
            f"{r['drained']:>8.1f}s"
        )
        if r["late"]:
            print(f"  ({r['late']} filings started over 50 ms late: filing lags the rate)")
    print("(all sent: from the phase's first filing to its last mail's arrival;")
    print(" alert: the new-ticket alert to support, written in the same commit)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5.0, help="tickets per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the steady phase")
    parser.add_argument("--burst", type=int, default=300, help="filings in the burst")
    args = parser.parse_args()

    sink = Sink()
    with bench_worker("mail-latency", sink, redis_db=13):
        from tests import factories  # the project's own factories: real services

        factories.AgentFactory()
        filer = Filer(factories.CustomerFactory())
        warm = [filer.file(-n) for n in range(1, 4)]  # imports, connections, the worker
        wait(arrived_all(sink, expected_ids(warm)), 120, "the warm-up mail")
        results = [steady(filer, sink, args.rate, args.seconds), burst(filer, sink, args.burst)]
        with sink.lock:
            extra = sink.count - len(sink.arrived)
        report(results)
        if extra:
            print(f"{extra} mails arrived more than once")


if __name__ == "__main__":
    main()
