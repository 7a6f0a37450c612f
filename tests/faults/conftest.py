"""Fault tests: a Redis of the test's own that the test kills and restarts.

``redis`` starts ``redis-server`` on a free port (never the shared one the suite uses),
points this process's Celery producer *and* Django's cache at it, and records every
connection attempt made to it while it is down, with the code that made it: a failure
inside ``with redis.down():`` carries that list as a note, and it is printed for passing
tests too (``-rP`` shows it).

The SMTP sink and the worker launcher are the delivery tests' own
(tests/notifications/conftest.py); only the broker the worker is given differs.
"""

import shutil
import socket
import subprocess
import time
import traceback
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.notifications import conftest as delivery_tests
from tests.notifications.conftest import broker, free_port, start_worker, stop_worker

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
    sending into the SMTP sink; it is stopped at the end of the test."""
    started = []

    def start():
        assert redis.server.running, "the worker needs Redis up"
        worker = start_worker(
            tmp_path,
            {"REDIS_URL": redis.url, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}"},
            queue=settings.MAIL_CELERY_QUEUE,
        )
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            stop_worker(worker)
