"""Two web processes on two ports over one database serve one session and one ticket flow:
sessions live in the database, nothing a request needs is kept in a process."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests import factories
from tests.notifications.conftest import database_url
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = Path(__file__).resolve().parents[2]
PASSWORD = "two-nodes-pass-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "false",
        "SECRET_KEY": "two-nodes-share-this-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "MAIL_CELERY_QUEUE": "two-nodes-nobody-consumes",  # mail stays in the outbox
    }
    env.pop("REDIS_URL", None)  # no shared cache either: the database is all they share
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "helpdesk.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "60"],
            cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )


@pytest.fixture
def two_nodes(tmp_path):
    ports = [free_port(), free_port()]
    processes = [start_node(p, tmp_path / f"node-{p}.log") for p in ports]
    try:
        deadline = time.monotonic() + 60
        for port, process in zip(ports, processes, strict=True):
            while True:
                try:
                    requests.get(f"http://127.0.0.1:{port}/health/live", timeout=5)
                    break
                except requests.RequestException:  # not listening yet, or still booting
                    if process.poll() is not None or time.monotonic() > deadline:
                        logs = (tmp_path / f"node-{port}.log").read_text(errors="replace")
                        pytest.fail(f"node on {port} did not start:\n{logs[-3000:]}")
                    time.sleep(0.3)
        yield [f"http://127.0.0.1:{p}" for p in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def hidden_fields(html: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def test_two_web_processes_serve_one_session_and_one_ticket_flow(two_nodes, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    customer = factories.CustomerFactory()
    customer.set_password(PASSWORD)
    customer.save(update_fields=["password"])
    a, b = two_nodes
    browser = requests.Session()

    login = browser.get(f"{a}/accounts/login/", timeout=30)
    response = browser.post(
        f"{a}/accounts/login/",
        data={**hidden_fields(login.text), "username": customer.email, "password": PASSWORD},
        headers={"Referer": f"{a}/accounts/login/"}, timeout=30,
    )
    assert response.status_code == 200 and "/accounts/login/" not in response.url, response.text

    form = browser.get(f"{b}/tickets/new/", timeout=30)  # the other node knows the session
    assert form.status_code == 200 and "/accounts/login/" not in form.url
    response = browser.post(
        f"{b}/tickets/new/",
        data={
            **hidden_fields(form.text), "type": "consultation", "priority": "3",
            "subject": "Filed on node B", "body": "Seen on node A?",
        },
        headers={"Referer": f"{b}/tickets/new/"}, timeout=30,
    )
    assert response.status_code == 200, response.text[-2000:]
    ticket = Ticket.objects.get(subject="Filed on node B")
    assert ticket.requester_id == customer.pk

    page = browser.get(f"{a}/tickets/{ticket.number}/", timeout=30)
    assert page.status_code == 200 and "Filed on node B" in page.text
    response = browser.post(
        f"{a}/tickets/{ticket.number}/comment/",
        data={**hidden_fields(page.text), "body": "A comment through node A"},
        headers={"Referer": f"{a}/tickets/{ticket.number}/"}, timeout=30,
    )
    assert response.status_code == 200, response.text[-2000:]
    assert "A comment through node A" in browser.get(f"{b}/tickets/{ticket.number}/").text

    browser.post(f"{b}/accounts/logout/", data=hidden_fields(page.text),
                 headers={"Referer": f"{b}/"}, timeout=30)
    assert "/accounts/login/" in browser.get(f"{a}/tickets/", timeout=30).url  # gone on both
