"""Fault tests: a Redis of the test's own that the test kills and restarts.

``redis`` starts ``redis-server`` on a free port (never the shared one the suite uses),
points this process's Celery producer *and* Django's cache at it, and records every
connection attempt made to it while it is down, with the code that made it: a failure
inside ``with redis.down():`` carries that list as a note, and it is printed for passing
tests too (``-rP`` shows it).

The SMTP sink and the worker launcher are the delivery tests' own
(tests/notifications/conftest.py); only the broker the worker is given differs.
``own_smtp_sink`` is that sink for one test, which it may stop or hold in the middle of
a mail; ``own_postgres`` a PostgreSQL cluster of the test's own, which it may stop.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.notifications import conftest as delivery_tests
from tests.notifications.conftest import SmtpSink, broker, free_port, start_worker

# The delivery tests' fixtures, as they are: their mail settings and the SMTP sink.
_mail_settings = delivery_tests._mail_settings
smtp_sink = delivery_tests.smtp_sink

PROJECT = Path(__file__).resolve().parents[2]
SHARED_REDIS_PORT = 6379


# --- a redis-server of the test's own ----------------------------------------------


class RedisServer:
    """``redis-server`` on 127.0.0.1:port, no persistence: killing it loses its queues."""

    def __init__(self, port: int, directory: Path):
        assert port != SHARED_REDIS_PORT, "never the shared Redis"
        self.port, self.directory = port, directory
        self.log = directory / "redis-server.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        """Start (or restart) on the same port; return once it answers PING."""
        assert not self.running, "already running"
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (Debian: apt-get install redis-server)")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"redis-server did not start:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.02)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no goodbye to the clients."""
        if self.running:
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=10)
        assert not self.answers(), f"something still answers on port {self.port}"


# --- who talks to Redis while it is down -------------------------------------------


@dataclass(frozen=True)
class RedisCall:
    port: int
    kind: str  # "cache", "broker" or "other"
    in_transaction: bool
    where: tuple[str, ...]  # project frames, outermost first: "path:line in function"

    def __str__(self) -> str:
        inside = "INSIDE a database transaction" if self.in_transaction else "outside a transaction"
        chain = "\n".join(f"      {frame}" for frame in self.where) or "      (no project frame)"
        return f"{self.kind} call to port {self.port}, {inside}, from:\n{chain}"


class RedisCalls:
    """Every TCP connection attempt redis-py makes (the cache and kombu both use it)."""

    def __init__(self):
        self.calls: list[RedisCall] = []
        self.recording = False

    def install(self, monkeypatch) -> None:
        import redis.connection

        original = redis.connection.Connection._connect
        calls = self

        def _connect(connection):
            if calls.recording:
                calls.calls.append(_describe_call(connection.port))
            return original(connection)

        monkeypatch.setattr(redis.connection.Connection, "_connect", _connect)

    def mark(self) -> int:
        return len(self.calls)

    def since(self, mark: int) -> list[RedisCall]:
        return self.calls[mark:]

    @staticmethod
    def report(calls: list[RedisCall]) -> str:
        if not calls:
            return "No connection to Redis was attempted while it was down."
        counted = Counter(calls)
        lines = [f"Connection attempts to Redis while it was down ({len(calls)}):"]
        for call, times in counted.items():
            lines.append(f"  {times} x {call}")
        return "\n".join(lines)


def project_code(filename: str) -> bool:
    """The helpdesk's own code, not a library's nor these fault tests' machinery."""
    return (
        filename.startswith(f"{PROJECT}/")
        and "/.venv/" not in filename
        and not filename.startswith(f"{PROJECT}/tests/")
    )


def _describe_call(port: int) -> RedisCall:
    from django.db import connection

    stack = traceback.extract_stack()[:-2]  # without this function and the wrapper
    files = [frame.filename for frame in stack]
    if any("django/core/cache" in f for f in files):
        kind = "cache"
    elif any("/kombu/" in f or "/celery/" in f for f in files):
        kind = "broker"
    else:
        kind = "other"
    where = tuple(
        f"{Path(frame.filename).relative_to(PROJECT)}:{frame.lineno} in {frame.name}"
        for frame in stack
        if project_code(frame.filename)
    )
    return RedisCall(port=port, kind=kind, in_transaction=connection.in_atomic_block, where=where)


class OwnRedis:
    """The test's Redis as the helpdesk sees it: up, down (recorded), up again."""

    def __init__(self, server: RedisServer, calls: RedisCalls):
        self.server, self.calls = server, calls

    @property
    def url(self) -> str:
        return self.server.url

    @contextmanager
    def down(self):
        """Kill Redis for the block. Whatever fails in it says who tried to reach Redis;
        a connection to any other Redis (the shared one) fails the block: it would mean
        the test did not redirect everything and proved nothing."""
        self.server.kill()
        mark = self.calls.mark()
        self.calls.recording = True
        try:
            yield self.calls
        except BaseException as exc:
            exc.add_note(RedisCalls.report(self.calls.since(mark)))
            raise
        finally:
            self.calls.recording = False
            print(RedisCalls.report(self.calls.since(mark)))
        elsewhere = [c for c in self.calls.since(mark) if c.port != self.server.port]
        assert not elsewhere, "Redis other than the test's own was used:\n" + "\n".join(
            map(str, elsewhere)
        )

    def start(self) -> None:
        """Bring Redis back on the same port (empty: nothing queued before survives)."""
        self.server.start()

    def queued(self, queue: str) -> int:
        """Messages waiting in a Celery queue (kombu keeps one list per priority step)."""
        import redis as redis_py

        client = redis_py.Redis.from_url(self.url)
        try:
            return sum(client.llen(key) for key in client.scan_iter(match=f"{queue}*"))
        finally:
            client.close()

    def settle(self, queue: str, *, timeout: float = 60.0) -> None:
        """Wait until the workers have taken every message of the queue (a copy of a task
        still waiting could send a mail twice), then a moment for the last one to finish."""
        deadline = time.monotonic() + timeout
        while self.queued(queue):
            assert time.monotonic() < deadline, f"{self.queued(queue)} messages left in {queue}"
            time.sleep(0.05)
        time.sleep(0.5)


@pytest.fixture
def redis(tmp_path, settings, monkeypatch):
    """The helpdesk in this process uses a Redis of the test's own for its cache and its
    Celery producer (the queue is the test's own too); the test kills it."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(free_port(), directory).start()
    calls = RedisCalls()
    calls.install(monkeypatch)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
        }
    }
    settings.MAIL_CELERY_QUEUE = f"faults-{uuid.uuid4().hex[:10]}"
    settings.MAIL_RELAY_GRACE_SECONDS = 0
    # The outbox's storm caps are not what is tested: many tickets mail the same people.
    settings.MAIL_CAP_PER_TICKET = 1000
    settings.MAIL_CAP_PER_ADDRESS = 1000
    # The production settings' publishing options (helpdesk/settings.py): one try.
    options = {
        "socket_connect_timeout": settings.CELERY_BROKER_CONNECTION_TIMEOUT,
        "max_retries": 0,
    }
    try:
        with broker(server.url, options):
            yield OwnRedis(server, calls)
    finally:
        server.kill()


@pytest.fixture
def mail_worker(redis, smtp_sink, settings, tmp_path, django_db_setup):
    """start() runs a real Celery worker (solo pool) on the test's Redis and queue,
    sending into the SMTP sink (or `sink`), with `env` added to its environment (the
    worker is another process: the `settings` fixture does not reach it); every worker
    started is stopped at the end of the test."""
    started = []

    def start(env: dict | None = None, sink=None):
        assert redis.server.running, "the worker needs Redis up"
        sink = sink or smtp_sink
        directory = tmp_path / f"worker-{len(started) + 1}"  # one log per worker
        directory.mkdir()
        worker = start_worker(
            directory,
            {
                "REDIS_URL": redis.url,
                "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
                **(env or {}),
            },
            queue=settings.MAIL_CELERY_QUEUE,
        )
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            # Its Redis, queue and sink end with the test: no warm shutdown to wait for.
            worker.process.kill()
            worker.process.wait(timeout=10)


# --- an SMTP sink the test stops, restarts, or holds in the middle of one mail --------


class Trap:
    """Holds the SMTP exchange of the n-th message the sink sees (counting from 1):

    - at "DATA": the whole message has arrived and the worker waits for the server's
      answer; the server has not accepted it (released, it answers 451 and keeps nothing);
    - at "QUIT": the server accepted the message (250, kept) and the worker is closing
      the connection, before it records the mail as sent.

    ``caught`` is set while the worker waits on the sink; the test kills it there.
    """

    def __init__(self, nth: int, at: str):
        assert at in {"DATA", "QUIT"}
        self.nth, self.at = nth, at
        self.caught = threading.Event()
        self.released = threading.Event()
        self.message_id: str | None = None

    async def hold(self) -> None:
        self.caught.set()
        while not self.released.is_set():
            await asyncio.sleep(0.01)


class Sink(SmtpSink):
    """The delivery tests' aiosmtpd sink, of one test: it can be stopped and started
    again on the same port (connections are refused meanwhile), answer 451
    (``fail_next``, as the delivery tests' sink does) and hold one mail (``trap``)."""

    def __init__(self):
        super().__init__()
        self.seen = 0  # DATA commands, accepted or not
        self.trap: Trap | None = None
        self._ids: Counter = Counter()  # accepted mails by Message-ID, counted on arrival

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> "Sink":
        assert not self.running, "the sink is already running"
        return super().start()

    def stop(self) -> None:
        if self.trap is not None:
            self.trap.released.set()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", self.port)) != 0, "the sink still answers"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.seen += 1
            trap = self.trap if self.trap is not None and self.seen == self.trap.nth else None
        if trap is not None:
            trap.message_id = _message_id(envelope.content)
            if trap.at == "DATA":
                await trap.hold()
                return "451 4.4.2 Connection lost before the message was accepted"
            session.trap = trap  # held at this connection's QUIT, once accepted
        answer = await super().handle_DATA(server, session, envelope)
        if answer.startswith("250"):
            with self._lock:
                self._ids[_message_id(envelope.content)] += 1
        return answer

    async def handle_QUIT(self, server, session, envelope):
        trap = getattr(session, "trap", None)
        if trap is not None:
            await trap.hold()
        return "221 Bye"

    def message_ids(self) -> Counter:
        """How many times each Message-ID arrived (cheap: tests poll it)."""
        with self._lock:
            return Counter(self._ids)

    def reset(self):
        super().reset()
        with self._lock:
            self._ids.clear()


def _message_id(raw: bytes) -> str:
    """The Message-ID header, from the headers alone (the sink's thread must stay quick)."""
    from email.parser import BytesHeaderParser

    return BytesHeaderParser().parsebytes(raw)["Message-ID"].strip()


@pytest.fixture
def own_smtp_sink():
    """An SMTP sink of this test's own (not the module's), which the test may stop."""
    sink = Sink().start()
    try:
        yield sink
    finally:
        sink.stop()


# --- a PostgreSQL cluster of the test's own ----------------------------------------------


class PostgresServer:
    """A throw-away cluster (initdb in a temporary directory) on a free port, never the
    shared one: the test stops it as a crash would (``pg_ctl -m immediate``) and starts it
    again. As root, the server runs as the ``postgres`` user (PostgreSQL refuses root)."""

    def __init__(self, port: int):
        assert port != 5432, "never the shared PostgreSQL"
        found = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/initdb"),
            key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        )
        if not found:
            pytest.fail("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.bin = found[-1].parent
        self.port = port
        self.directory = Path(tempfile.mkdtemp(prefix="helpdesk-faults-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.running = False
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._server(
            "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip

    def url(self, database: str = "helpdesk") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _server(self, program: str, *args) -> None:
        command = [str(self.bin / program), *map(str, args)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            pytest.fail(f"{program} failed:\n{done.stdout}{done.stderr}\n{log}")

    def start(self) -> "PostgresServer":
        assert not self.running, "already running"
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._server("pg_ctl", "-D", self.data, "-o", options, "-l", self.log, "-w", "start")
        self.running = True
        return self

    def stop(self) -> None:
        """Stop at once, without a checkpoint: what a crash of the server looks like."""
        if self.running:
            self._server("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
            self.running = False
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", self.port)) != 0, "PostgreSQL still answers"

    def copy_database(self, settings_dict: dict, name: str = "helpdesk") -> str:
        """A copy of another server's database (schema and rows), as database `name` here."""
        source = [
            "-h", settings_dict["HOST"] or "127.0.0.1",
            "-p", str(settings_dict["PORT"] or 5432),
            "-U", settings_dict["USER"] or "postgres",
        ]  # fmt: skip
        env = {**os.environ, "PGPASSWORD": settings_dict.get("PASSWORD") or ""}
        dump = subprocess.run(
            [self.bin / "pg_dump", *source, "--no-owner", "--no-privileges", settings_dict["NAME"]],
            capture_output=True,
            env=env,
            timeout=60,
        )
        assert dump.returncode == 0, dump.stderr.decode(errors="replace")
        here = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        for command, stdin in (
            ([self.bin / "createdb", *here, name], None),
            ([self.bin / "psql", *here, "-q", "-v", "ON_ERROR_STOP=1", "-d", name], dump.stdout),
        ):
            done = subprocess.run(command, input=stdin, capture_output=True, timeout=60)
            assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
        return self.url(name)

    def query(self, sql: str, params=(), database: str = "helpdesk") -> list[tuple]:
        import psycopg2

        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, connect_timeout=5
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def own_postgres():
    """A PostgreSQL cluster of the test's own, started; removed at the end."""
    server = PostgresServer(free_port())
    try:
        yield server.start()
    finally:
        server.remove()


# --- counting what arrived against the outbox ----------------------------------------------


def lost_and_duplicated(sink, rows, *, allowed_twice=frozenset()) -> list[str]:
    """What is wrong with the sink's mail against these outbox rows: a row whose mail never
    arrived, a Message-ID that arrived more than once (but for `allowed_twice`), a mail
    no row stands for, a row not marked sent. Empty when each arrived exactly once."""
    from notifications.models import Notification, NotificationStatus

    arrived = sink.message_ids()
    by_id = {row.message_id: row for row in rows}
    problems = []
    lost = [row for row in rows if row.message_id not in arrived]
    if lost:
        problems.append(
            f"{len(lost)} of {len(rows)} mails never arrived: "
            + ", ".join(f"{r.pk} {r.event} to {r.to_email} ({r.status})" for r in lost[:20])
        )
    twice = {i: n for i, n in arrived.items() if n > 1 and i not in allowed_twice}
    if twice:
        problems.append(f"mails that arrived more than once: {twice}")
    unknown = [i for i in arrived if i not in by_id]
    if unknown:
        problems.append(f"{len(unknown)} mails that match no outbox row: {unknown[:10]}")
    unsent = dict(
        Notification.objects.filter(pk__in=[row.pk for row in rows])
        .exclude(status=NotificationStatus.SENT)
        .values_list("pk", "status")
    )
    if unsent:
        problems.append(f"rows not marked sent: {unsent}")
    return problems
