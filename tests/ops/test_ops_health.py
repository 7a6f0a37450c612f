"""/health/live and /health/ready: what a load balancer, a probe and an operator see."""

import datetime
import socket

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from core.heartbeats import SLA_SWEEP, WORKER_PREFIX, heartbeat_record
from helpdesk import health
from notifications.models import Notification, NotificationStatus
from tests import factories

TOKEN = "health-token-for-tests"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def everything_alive():
    """Every queue's worker and the sweep beat just now."""
    queues = ",".join(sorted(health.worker_queues()))
    heartbeat_record(name=f"{WORKER_PREFIX}worker@test", detail=queues)
    heartbeat_record(name=SLA_SWEEP)


@pytest.fixture(autouse=True)
def _token(settings):
    settings.HEALTH_TOKEN = TOKEN


def ready(client, **headers):
    return client.get("/health/ready", headers=headers)


def details(client):
    response = ready(client, Authorization=f"Bearer {TOKEN}")
    return response, response.json()["checks"]


def test_live_answers_without_touching_the_database(client):
    # No database fixture: any query would raise. A probe's Host is its pod address.
    response = client.get("/health/live", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_200_with_one_entry_per_check_and_its_latency(db, client):
    everything_alive()
    response, checks = details(client)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert set(checks) == {
        "database", "migrations", "redis", "workers", "outbox", "inbound_review", "sla_sweep"
    }
    for name, check in checks.items():
        assert check["status"] == "ok", (name, check)
        assert check["latency_ms"] >= 0


def test_anonymous_callers_get_the_status_alone(db, client):
    everything_alive()
    assert ready(client).json() == {"status": "ok"}
    assert ready(client, Authorization="Bearer wrong").json() == {"status": "ok"}


def test_staff_see_the_details(db, client, agent, customer):
    everything_alive()
    client.force_login(customer)
    assert "checks" not in ready(client).json()
    client.force_login(agent)
    assert "checks" in ready(client).json()


def test_redis_down_is_degraded_not_a_failure(db, client, settings):
    everything_alive()
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response, checks = details(client)
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert checks["redis"]["status"] == "degraded"


def test_a_missing_worker_or_a_stuck_sweep_fails(db, client, settings):
    everything_alive()
    settings.HEALTH_WORKER_QUEUES = ["mail", "reports-nobody-consumes"]
    response, checks = details(client)
    assert response.status_code == 503
    assert checks["workers"]["missing"] == ["reports-nobody-consumes"]
    settings.HEALTH_WORKER_QUEUES = []
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=6)):
        heartbeat_record(name=f"{WORKER_PREFIX}worker@test", detail="heavy,mail,sweeps")
        response, checks = details(client)
    assert response.status_code == 503
    assert checks["sla_sweep"]["status"] == "fail"
    assert checks["sla_sweep"]["since_last_seconds"] >= 360


def test_ready_is_503_when_the_oldest_pending_mail_is_older_than_the_threshold(
    db, client, customer, settings
):
    settings.HEALTH_OUTBOX_MAX_AGE_SECONDS = 600
    filed = timezone.now()
    with time_machine.travel(filed, tick=False):
        factories.TicketFactory(requester=customer)
    pending = Notification.objects.filter(status=NotificationStatus.PENDING).count()
    assert pending
    with time_machine.travel(filed + datetime.timedelta(minutes=9), tick=False):
        everything_alive()
        response, checks = details(client)
        assert response.status_code == 200
        assert checks["outbox"]["pending"] == pending
    with time_machine.travel(filed + datetime.timedelta(minutes=11), tick=False):
        everything_alive()
        response, checks = details(client)
        assert ready(client).json() == {"status": "fail"}
    assert response.status_code == 503
    assert checks["outbox"] == {
        "status": "fail", "latency_ms": checks["outbox"]["latency_ms"],
        "pending": pending, "oldest_age_seconds": 660.0,
    }


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_when_the_database_is_unreachable(client, monkeypatch):
    connection = connections["default"]
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", str(closed_port()))
    try:
        response, checks = details(client)
    finally:
        connection.close()
    assert response.status_code == 503
    assert checks["database"]["status"] == "fail"
    assert checks["database"]["error"] == "OperationalError"
    assert checks["outbox"] == {"status": "fail", "latency_ms": 0.0, "skipped": "database"}
