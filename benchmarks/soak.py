"""A bounded-time soak on localhost: real processes, concurrent users, integrity checks.

    .venv/bin/python benchmarks/soak.py --minutes 2 --users 6 [--reset]

Starts gunicorn (2 workers), a Celery worker (queues mail, sweeps, heavy, with beat) and an
SMTP sink of its own, seeds a database of its own (helpdesk_soak by default, Redis db 7),
runs the simulated users for the given time, waits for the outbox to drain and checks
what was written. Prints PASS/FAIL per check and a summary; exits 1 on a failure.
See benchmarks/README.md.
"""

import argparse
import html
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_soak"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
PASSWORD = "soak-pass-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def refuse_remote(name: str, url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOCAL_HOSTS:
        sys.exit(f"{name} must point at localhost, not {host!r}: the soak runs locally only")


# --- the SMTP sink --------------------------------------------------------------------


class SmtpSink:
    """aiosmtpd in a thread: keeps every message it is given."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[bytes] = []
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(envelope.content)
        return "250 2.0.0 OK"

    def start(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def parsed(self):
        with self._lock:
            return [message_from_bytes(m, policy=policy.default) for m in self.messages]


# --- the processes ----------------------------------------------------------------------


class Processes:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.running: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, name: str, argv: list[str], env: dict) -> Path:
        log = self.tmp / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own argv
                argv, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.running.append((name, process, log))
        return log

    def check_alive(self) -> None:
        for name, process, log in self.running:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited ({process.returncode}):\n{tail}")

    def stop(self) -> None:
        for _name, process, _log in reversed(self.running):
            if process.poll() is None:
                process.terminate()
        for _name, process, _log in reversed(self.running):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.running.clear()


def wait_for(predicate, timeout: float, what: str, processes: Processes) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        processes.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up in {timeout:.0f} s")
        time.sleep(0.2)


# --- the database -----------------------------------------------------------------------


def ensure_database(*, reset: bool) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _database import ensure_database as ensure

    ensure(reset=reset, droppable_prefix="helpdesk_soak")


def seed(run: str, customers: int, agents: int) -> dict:
    """Organisations, customers, agents (with API tokens) and hot tickets of this run."""
    import datetime

    from accounts.models import Organisation, Role, User
    from api.models import TokenScope
    from api.tokens import api_token_create
    from tickets import services
    from tickets.models import Priority, TicketType

    orgs = [
        Organisation.objects.create(
            name=f"Soak {run} org {i}",
            contract_number=f"SOAK-{run}-{i}",
            contract_start=datetime.date(2025, 1, 1),
            contract_end=datetime.date(2030, 12, 31),
            is_active=True,
        )
        for i in range(max(1, min(3, customers)))
    ]

    def person(email, name, role, organisation=None):
        user = User(email=email, full_name=name, role=role, organisation=organisation)
        user.set_password(PASSWORD)
        user.save()
        return user

    people = {"customers": [], "agents": []}
    for i in range(customers):
        user = person(
            f"soak{run}-c{i}@customer.example", f"Soak customer {i}", Role.CUSTOMER_EMPLOYEE,
            orgs[i % len(orgs)],
        )
        hot = [
            services.ticket_file(
                requester=user,
                subject=f"soak {run} hot {i}.{k}: export fails",
                body="The export stops at 80 %.",
                type=TicketType.INCIDENT,
                priority=Priority.NORMAL,
                files=(),
                follows=None,
            ).number
            for k in range(2)
        ]
        people["customers"].append({"email": user.email, "hot": hot})
    for i in range(agents):
        user = person(f"soak{run}-a{i}@vendor.example", f"Soak agent {i}", Role.AGENT)
        _token, raw = api_token_create(user=user, name="soak", scope=TokenScope.READ_WRITE)
        people["agents"].append({"email": user.email, "token": raw})
    people["hot"] = [n for c in people["customers"] for n in c["hot"]]
    return people


# --- the simulated users ------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.codes: Counter = Counter()
        self.refusals = 0
        self.errors: list[str] = []
        self.five_xx: list[str] = []
        # intended writes: body or subject -> "ok" / "refused"
        self.comments: dict[str, str] = {}
        self.tickets: dict[str, str] = {}
        self.double_comments: set[str] = set()
        self.double_tickets: set[str] = set()
        self.api_doubles: set[str] = set()

    def record(self, method, path, response, seconds):
        with self.lock:
            self.latencies.append(seconds)
            self.codes[response.status_code] += 1
            if response.status_code >= 500:
                self.five_xx.append(f"{method} {path} -> {response.status_code}")


INPUT = re.compile(r"<input\b[^>]*>", re.S)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)


def hidden_fields(page: str, action_part: str) -> dict:
    for attrs, body in FORM.findall(page):
        action = dict(ATTR.findall(attrs)).get("action", "")
        if action_part in html.unescape(action):
            fields = {}
            for tag in INPUT.findall(body):
                a = dict(ATTR.findall(tag))
                if a.get("type") == "hidden" and "name" in a:
                    fields[a["name"]] = html.unescape(a.get("value", ""))
            return fields
    return {}


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return match.group(1) if match else ""


class User(threading.Thread):
    def __init__(self, base, stats, deadline, seed_no):
        super().__init__(daemon=True)
        import random

        import requests

        self.base, self.stats, self.deadline = base, stats, deadline
        self.rnd = random.Random(seed_no)  # noqa: S311 - a simulation, not secrets
        self.session = requests.Session()

    def call(self, method, path, **kwargs):
        started = time.perf_counter()
        response = self.session.request(
            method, self.base + path, allow_redirects=False, timeout=60, **kwargs
        )
        self.stats.record(method, path, response, time.perf_counter() - started)
        return response

    def run(self):
        try:
            self.login()
            while time.monotonic() < self.deadline:
                self.step()
                time.sleep(self.rnd.uniform(0.05, 0.3))
        except Exception as exc:  # noqa: BLE001 - reported as a failure of the soak
            with self.stats.lock:
                self.stats.errors.append(f"{type(self).__name__}: {exc!r}")

    def login(self):
        pass

    def step(self):
        raise NotImplementedError


class Customer(User):
    def __init__(self, base, stats, deadline, seed_no, me):
        super().__init__(base, stats, deadline, seed_no)
        self.me = me

    def login(self):
        page = self.call("GET", "/accounts/login/").text
        r = self.call(
            "POST",
            "/accounts/login/",
            data={"csrfmiddlewaretoken": csrf_of(page), "username": self.me["email"],
                  "password": PASSWORD},
            headers={"Referer": self.base + "/accounts/login/"},
        )
        if r.status_code != 302:
            raise RuntimeError(f"login of {self.me['email']} answered {r.status_code}")

    def post(self, path, data):
        return self.call("POST", path, data=data, headers={"Referer": self.base + path})

    def step(self):
        roll = self.rnd.random()
        if roll < 0.25:
            self.file_ticket()
        elif roll < 0.8:
            self.comment()
        else:
            self.close_or_reopen()

    def file_ticket(self):
        page = self.call("GET", "/tickets/new/").text
        fields = hidden_fields(page, "")
        subject = f"soak ticket {uuid.uuid4().hex[:12]}"
        data = {
            **{k: v for k, v in fields.items() if k in ("submit_token", "csrfmiddlewaretoken")},
            "csrfmiddlewaretoken": csrf_of(page),
            "type": "incident",
            "priority": "3",
            "subject": subject,
            "body": "Steps: open Reports, press Export. Expected a file, got an error.",
        }
        if "submit_token" not in data:
            m = re.search(r'name="submit_token" value="([^"]+)"', page)
            data["submit_token"] = m.group(1) if m else ""
        double = self.rnd.random() < 0.2
        outcomes = [self.post("/tickets/new/", data) for _ in range(2 if double else 1)]
        ok = any(r.status_code == 302 for r in outcomes)
        with self.stats.lock:
            self.stats.tickets[subject] = "ok" if ok else "refused"
            if double:
                self.stats.double_tickets.add(subject)
            if not ok:
                self.stats.refusals += 1

    def comment(self):
        number = self.rnd.choice(self.me["hot"])
        page = self.call("GET", f"/tickets/{number}/").text
        fields = hidden_fields(page, f"/tickets/{number}/comment/")
        if "submit_token" not in fields:
            return  # no comment form now (e.g. closed): nothing intended
        body = f"soak comment {uuid.uuid4().hex}"
        data = {**fields, "csrfmiddlewaretoken": csrf_of(page), "body": body}
        time.sleep(self.rnd.uniform(0, 0.3))  # the person types; an agent may act meanwhile
        double = self.rnd.random() < 0.2
        outcomes = [
            self.post(f"/tickets/{number}/comment/", data) for _ in range(2 if double else 1)
        ]
        ok = any(r.status_code == 302 for r in outcomes)
        with self.stats.lock:
            self.stats.comments[body] = "ok" if ok else "refused"
            if double:
                self.stats.double_comments.add(body)
            self.stats.refusals += sum(1 for r in outcomes if r.status_code in (400, 409))

    def close_or_reopen(self):
        number = self.rnd.choice(self.me["hot"])
        page = self.call("GET", f"/tickets/{number}/").text
        for name in ("close", "reopen"):
            fields = hidden_fields(page, f"/tickets/{number}/do/{name}/")
            if fields:
                data = {**fields, "csrfmiddlewaretoken": csrf_of(page), "message": "soak"}
                self.post(f"/tickets/{number}/do/{name}/", data)
                return


class Agent(User):
    """Drives the hot tickets through the REST API with a personal token."""

    MOVES = ("accept", "resolve", "resume", "request_info")

    def __init__(self, base, stats, deadline, seed_no, me, hot):
        super().__init__(base, stats, deadline, seed_no)
        self.me, self.hot = me, hot
        self.session.headers["Authorization"] = f"Bearer {me['token']}"

    def step(self):
        number = self.rnd.choice(self.hot)
        r = self.call("GET", f"/api/v1/tickets/{number}/")
        if r.status_code != 200:
            return
        ticket = r.json()
        names = [t if isinstance(t, str) else t.get("name") for t in ticket.get("transitions", [])]
        etag = r.headers.get("ETag")
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        if etag and self.rnd.random() < 0.5:
            headers["If-Match"] = etag
        time.sleep(self.rnd.uniform(0, 0.2))
        moves = [n for n in names if n in self.MOVES]
        if moves and self.rnd.random() < 0.5:
            name = self.rnd.choice(moves)
            r = self.call(
                "POST", f"/api/v1/tickets/{number}/transitions/{name}/",
                json={"message": "soak: done on our side"}, headers=headers,
            )
            self.count_refusal(r)
            return
        body = f"soak agent reply {uuid.uuid4().hex}"
        double = self.rnd.random() < 0.2
        outcomes = [
            self.call(
                "POST", f"/api/v1/tickets/{number}/comments/",
                json={"body": body, "internal": False}, headers=headers,
            )
            for _ in range(2 if double else 1)
        ]
        ok = any(r.status_code == 201 for r in outcomes)
        with self.stats.lock:
            self.stats.comments[body] = "ok" if ok else "refused"
            if double:
                self.stats.api_doubles.add(body)
        for r in outcomes:
            self.count_refusal(r)

    def count_refusal(self, r):
        if r.status_code in (400, 409, 412):
            with self.stats.lock:
                self.stats.refusals += 1


# --- the checks -------------------------------------------------------------------------


def drain(timeout: float) -> tuple[bool, Counter]:
    from notifications.models import Notification, NotificationStatus

    deadline = time.monotonic() + timeout
    open_states = [NotificationStatus.PENDING, NotificationStatus.SENDING]
    while True:
        left = Notification.objects.filter(status__in=open_states).count()
        if not left or time.monotonic() > deadline:
            counts = Counter(Notification.objects.values_list("status", flat=True))
            return not left, counts
        time.sleep(1)


def checks(stats: Stats, sink: SmtpSink, since, drained: bool, mail: Counter) -> list:
    from notifications.models import Notification, NotificationStatus
    from tickets.models import Comment, EventKind, Ticket, TicketEvent, TicketNumberCounter

    results = []

    def check(name, ok, detail=""):
        results.append((name, bool(ok), detail))

    check("no 5xx answers", not stats.five_xx, "; ".join(stats.five_xx[:5]))
    check("no user thread died", not stats.errors, "; ".join(stats.errors[:3]))

    numbers = list(Ticket.objects.values_list("number", flat=True))
    by_year: dict[int, list[int]] = {}
    for number in numbers:
        _prefix, year, n = number.rsplit("-", 2)
        by_year.setdefault(int(year), []).append(int(n))
    problems = []
    if len(numbers) != len(set(numbers)):
        problems.append("duplicate numbers")
    for year, got in by_year.items():
        last = TicketNumberCounter.objects.get(year=year).last
        if sorted(got) != list(range(1, last + 1)):
            problems.append(f"{year}: {len(got)} tickets, counter at {last}")
    check("ticket numbers unique, no gaps", not problems, "; ".join(problems))

    wrong = []
    for ticket in Ticket.objects.only("id", "number", "status"):
        last = (
            TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS)
            .order_by("-created_at", "-id").values_list("new_value", flat=True).first()
        )
        expected = last if last is not None else "new"
        if expected != ticket.status:
            wrong.append(f"{ticket.number}: {ticket.status} but history says {expected}")
    check("last status event = status", not wrong, "; ".join(wrong[:5]))

    subjects = Counter(
        Ticket.objects.filter(subject__startswith="soak ticket ").values_list("subject", flat=True)
    )
    bad = [s for s, outcome in stats.tickets.items()
           if subjects[s] != (1 if outcome == "ok" else 0)]
    bad += [s for s in stats.double_tickets if subjects[s] > 1]
    check(
        f"each ticket filed once ({len(stats.tickets)}, {len(stats.double_tickets)} double)",
        not bad, "; ".join(bad[:5]),
    )

    # This run's comments only: an earlier run on the same database wrote its own.
    bodies = Counter(
        Comment.objects.filter(body__startswith="soak ", created_at__gte=since)
        .values_list("body", flat=True)
    )
    bad = [b for b, outcome in stats.comments.items() if bodies[b] != (1 if outcome == "ok" else 0)]
    bad += [b for b, n in bodies.items() if n > 1 or b not in stats.comments]
    doubles = len(stats.double_comments) + len(stats.api_doubles)
    check(
        f"each comment written once ({len(stats.comments)}, {doubles} double)",
        not bad, "; ".join(bad[:5]),
    )

    failed = Notification.objects.filter(status=NotificationStatus.FAILED).count()
    unreasoned = Notification.objects.filter(
        status__in=[NotificationStatus.SUPPRESSED, NotificationStatus.HELD], suppressed_reason=""
    ).count()
    check("outbox drained", drained, f"{dict(mail)}")
    check("no failed rows, every held row has a reason", not failed and not unreasoned,
          f"failed {failed}, held or suppressed without a reason {unreasoned}")

    sent_ids = Counter(
        # Rows sent while this run's sink listened (an earlier run's went to its own sink).
        Notification.objects.filter(status=NotificationStatus.SENT, sent_at__gte=since)
        .values_list("message_id", flat=True)
    )
    dupes_in_outbox = [m for m, n in sent_ids.items() if n > 1]
    received = Counter(str(m.get("Message-ID", "")).strip() for m in sink.parsed())
    missing = [m for m in sent_ids if received[m] != 1]
    extra = [m for m in received if m not in sent_ids]
    check(
        f"sink = sent rows ({sum(sent_ids.values())} sent, {sum(received.values())} received)",
        not (missing or extra or dupes_in_outbox),
        f"missing/duplicated {missing[:3]}, not a sent row {extra[:3]}, "
        f"same Message-ID on rows {dupes_in_outbox[:3]}",
    )
    return results


def percentile(values, p):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- main ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--reset", action="store_true", help="drop the soak database first")
    parser.add_argument("--drain-seconds", type=float, default=180)
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("SOAK_REDIS_URL") or DEFAULT_REDIS_URL
    refuse_remote("DATABASE_URL", database_url)
    refuse_remote("REDIS_URL", redis_url)

    tmp = Path(tempfile.mkdtemp(prefix="helpdesk-soak-"))
    sink = SmtpSink()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "TWO_FACTOR_REQUIRED_FOR_STAFF": "false",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SUPPORT_EMAIL": "support@soak.example",
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "MAIL_RELAY_GRACE_SECONDS": "5",
        "VAR_DIR": str(tmp),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update({k: env[k] for k in (
        "DATABASE_URL", "REDIS_URL", "DEBUG", "SITE_URL", "SUPPORT_EMAIL", "EMAIL_URL",
        "VAR_DIR", "TWO_FACTOR_REQUIRED_FOR_STAFF",
    )})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    sys.path.insert(0, str(PROJECT))

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)

    import logging

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's chatter
    processes = Processes(tmp)
    started_at = time.monotonic()
    try:
        import django

        django.setup()
        from django.core.management import call_command

        ensure_database(reset=args.reset)
        call_command("migrate", interactive=False, verbosity=0)
        run = uuid.uuid4().hex[:6]
        agents = max(1, args.users // 3)
        customers = max(1, args.users - agents)
        people = seed(run, customers, agents)
        from django.db import connections

        connections.close_all()
        print(f"seeded run {run}: {customers} customers, {agents} agents, "
              f"{len(people['hot'])} hot tickets; logs in {tmp}")

        from django.utils import timezone

        sink_started = timezone.now()
        sink.start()
        python = sys.executable
        processes.start(
            "celery",
            [python, "-m", "celery", "-A", "helpdesk", "worker", "-B", "-Q", "mail,sweeps,heavy",
             "-c", "2", "-s", str(tmp / "celerybeat-schedule"), "--without-gossip",
             "--without-mingle", "-l", "info", "--hostname", f"soak-{run}@%h"],
            env,
        )
        processes.start(
            "gunicorn",
            [python, "-m", "gunicorn", "helpdesk.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}",
             "--timeout", "60"],
            env,
        )
        worker_log = tmp / "celery.log"
        wait_for(lambda: "[tasks]" in worker_log.read_text(errors="replace"), 60,
                 "the Celery worker", processes)

        def answers():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_for(answers, 60, "gunicorn", processes)

        base = f"http://127.0.0.1:{port}"
        stats = Stats()
        deadline = time.monotonic() + args.minutes * 60
        threads = [
            Customer(base, stats, deadline, i, people["customers"][i]) for i in range(customers)
        ] + [
            Agent(base, stats, deadline, 100 + i, people["agents"][i], people["hot"])
            for i in range(agents)
        ]
        load_started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        load_seconds = time.monotonic() - load_started
        processes.check_alive()

        print("load done; waiting for the outbox to drain")
        drained, mail = drain(args.drain_seconds)
        time.sleep(2)  # the last SMTP sessions end
        results = checks(stats, sink, sink_started, drained, mail)
    except KeyboardInterrupt:
        print("interrupted: stopping the processes", file=sys.stderr)
        return 130
    finally:
        processes.stop()
        sink.stop()

    print()
    for name, ok, detail in results:
        note = f"  ({detail})" if detail and not ok else ""
        print(f"{'PASS' if ok else 'FAIL'}  {name}{note}")
    total = sum(stats.codes.values())
    five = sum(n for c, n in stats.codes.items() if c >= 500)
    held = sum(n for s, n in mail.items() if s != "sent")
    rows = [
        ("users (customers + agents)", f"{customers} + {agents}"),
        ("load seconds", f"{load_seconds:.0f}"),
        ("requests", f"{total}"),
        ("req/s", f"{total / load_seconds:.1f}"),
        ("p50 / p95 / max ms", " / ".join(
            f"{percentile(stats.latencies, p) * 1000:.0f}" for p in (50, 95, 100))),
        ("status codes", ", ".join(f"{c}: {n}" for c, n in sorted(stats.codes.items()))),
        ("5xx", f"{five}"),
        ("refusals (400/409/412)", f"{stats.refusals}"),
        ("tickets filed / comments intended", f"{len(stats.tickets)} / {len(stats.comments)}"),
        ("mails sent / not sent (by status)",
         f"{mail.get('sent', 0)} / {held} {dict((s, n) for s, n in mail.items() if s != 'sent')}"),
        ("checks passed", f"{sum(ok for _n, ok, _d in results)} of {len(results)}"),
        ("wall time s", f"{time.monotonic() - started_at:.0f}"),
    ]
    print()
    print("| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0 if all(ok for _n, ok, _d in results) else 1


if __name__ == "__main__":
    sys.exit(main())
