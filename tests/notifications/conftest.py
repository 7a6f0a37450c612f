"""Fixtures of the outbound mail tests: settings, the Russian catalogue, a real SMTP sink
and a real Celery worker on the real Redis (for the delivery tests)."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import factories

PROJECT = Path(__file__).resolve().parents[2]
CATALOGUE = PROJECT / "locale" / "ru" / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="session", autouse=True)
def _compiled_russian():
    """Compile the Russian catalogue when it is newer than its .mo (as scripts/test does)."""
    compiled = CATALOGUE.with_suffix(".mo")
    stale = CATALOGUE.exists() and (
        not compiled.exists() or compiled.stat().st_mtime < CATALOGUE.stat().st_mtime
    )
    if stale and shutil.which("msgfmt"):
        subprocess.run(["msgfmt", "-o", str(compiled), str(CATALOGUE)], check=True)
        from django.utils.translation import reloader

        reloader.translation_file_changed(sender=None, file_path=compiled)


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.TRIAGE_EMAILS = []
    settings.NOTIFY_REPRESENTATIVES = True
    settings.MAIL_CELERY_QUEUE = ""
    settings.SITE_URL = "https://helpdesk.example.com"
    settings.SUPPORT_EMAIL = "support@helpdesk.example.com"
    settings.MAIL_MESSAGE_ID_DOMAIN = "helpdesk.example.com"
    settings.ANYMAIL = {}
    return settings


@pytest.fixture
def second_agent(db):
    return factories.AgentFactory()


# --- a real SMTP server ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """aiosmtpd in a thread: keeps every message; answers 451 to the next `fail_next` ones."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[bytes] = []
        self.arrived: list[float] = []
        self.fail_next = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                self.refused += 1
                return "451 4.3.0 Mailbox busy, try again later"
            self.messages.append(envelope.content)
            self.arrived.append(time.monotonic())
        return "250 2.0.0 OK"

    def start(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()

    def reset(self):
        with self._lock:
            self.messages.clear()
            self.arrived.clear()
            self.fail_next = 0
            self.refused = 0

    def parsed(self):
        from email import message_from_bytes, policy

        with self._lock:
            return [message_from_bytes(m, policy=policy.default) for m in self.messages]


@pytest.fixture(scope="module")
def smtp_sink():
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


# --- a real Celery worker ----------------------------------------------------------


class Worker:
    def __init__(self, process, queue, log):
        self.process, self.queue, self.log = process, queue, log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def database_url() -> str:
    """The test database (pytest-django's), as a URL the worker process can use."""
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] or ""
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(tmp: Path, env_extra: dict, queue: str | None = None, drop=()) -> Worker:
    queue = queue or f"mail-test-{uuid.uuid4().hex[:10]}"
    log = tmp / f"worker-{queue}.log"
    env = {
        **{k: v for k, v in os.environ.items() if k not in drop},
        "DATABASE_URL": database_url(),
        "MAIL_CELERY_QUEUE": queue,
        "MAIL_RETRY_BASE_SECONDS": "1",
        "MAIL_RETRY_MAX_SECONDS": "2",
        "MAIL_RELAY_GRACE_SECONDS": "0",
        "SUPPORT_EMAIL": "support@helpdesk.example.com",
        "SITE_URL": "https://helpdesk.example.com",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **env_extra,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
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
                "info",
                "--hostname",
                f"{queue}@%h",
            ],
            cwd=PROJECT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(process, queue, log)
    deadline = time.monotonic() + 30
    while "ready." not in worker.output():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_worker(worker)
            pytest.fail(f"The Celery worker did not start:\n{worker.output()[-3000:]}")
        time.sleep(0.2)
    return worker


def stop_worker(worker: Worker) -> None:
    worker.process.terminate()
    try:
        worker.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait(timeout=5)


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, smtp_sink, tmp_path_factory):
    """One worker (solo pool) on the real Redis, its own queue, sending into the sink."""
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = start_worker(
        tmp_path_factory.mktemp("worker"),
        {"REDIS_URL": redis_url, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}"},
    )
    try:
        yield worker
    finally:
        stop_worker(worker)


@pytest.fixture
def on_worker(celery_worker, smtp_sink, settings):
    """The web side publishes to the worker's queue; the sink starts empty."""
    settings.MAIL_CELERY_QUEUE = celery_worker.queue
    smtp_sink.reset()
    yield celery_worker


def wait_for(predicate, *, timeout: float = 120.0, interval: float = 0.1, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    detail = f"\nworker log:\n{worker.output()[-4000:]}" if worker else ""
    raise AssertionError(f"timed out after {timeout} s{detail}")


@contextmanager
def broker(url: str, transport_options: dict | None = None):
    """Point this process's Celery producer at another broker (e.g. a closed port)."""
    from helpdesk.celery import app

    def reset():
        # Drop the cached pools (kombu keeps them per URL); closing them would close
        # the shared ones for good.
        app._pool = None
        app.amqp._producer_pool = None

    old = app.conf.broker_url, app.conf.broker_transport_options
    reset()
    app.conf.broker_url = url
    if transport_options is not None:
        app.conf.broker_transport_options = transport_options
    try:
        yield
    finally:
        reset()
        app.conf.broker_url, app.conf.broker_transport_options = old
