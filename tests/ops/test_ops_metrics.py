"""/metrics: our series, a bounded cost per scrape, and who may scrape."""

import time

import pytest
from django.core.cache import cache
from django.db import connection

from helpdesk import metrics
from sla.models import SlaState
from tests import factories
from tickets.models import Ticket

TOKEN = "metrics-token-for-tests"


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.METRICS_TOKEN = TOKEN
    cache.delete(metrics.CACHE_KEY)
    yield
    cache.delete(metrics.CACHE_KEY)


def scrape(client):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return response.content.decode()


def test_the_series_describe_tickets_sla_outbox_and_inbound_mail(client, customer):
    ticket = factories.TicketFactory(requester=customer)
    Ticket.objects.filter(pk=ticket.pk).update(reaction_state=SlaState.BREACHED)
    body = scrape(client)
    p, t = ticket.priority, ticket.type
    for series in (
        'helpdesk_tickets{status="new"} 1.0',
        f'helpdesk_open_tickets{{priority="{p}",status="new",type="{t}"}} 1.0',
        f'helpdesk_sla_open_clocks{{clock="reaction",priority="{p}",state="breached"}} 1.0',
        "helpdesk_sla_events_today",
        'helpdesk_sla_reaction_business_seconds_bucket{le="3600.0"}',
        "helpdesk_sla_resolution_business_seconds_count",
        'helpdesk_outbox_rows{status="pending",suppressed_reason=""}',
        "helpdesk_outbox_oldest_pending_age_seconds",
        "helpdesk_outbox_sends_per_second",
        "helpdesk_inbound_messages",
        'helpdesk_ready_check{check="database"} 1.0',
        "helpdesk_worker_heartbeat_age_seconds",
        "helpdesk_sla_sweep_age_seconds -1.0",
        "django_http_requests_total_by_method_total",  # django-prometheus
    ):
        assert series in body, series


def test_the_resolution_histogram_observes_resolved_tickets(client, customer, agent):
    import datetime

    import time_machine
    from django.utils import timezone

    from tickets import services

    started = timezone.now() - datetime.timedelta(days=3)
    with time_machine.travel(started, tick=False):
        ticket = factories.TicketFactory(requester=customer)
        services.ticket_accept(ticket=ticket, actor=agent)
    services.ticket_resolve(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    took = ticket.sla_events.get(kind__in=["resolution_met", "resolution_breached"])
    assert took.business_seconds > 0
    body = scrape(client)
    assert "helpdesk_sla_resolution_business_seconds_count 1.0" in body
    assert f"helpdesk_sla_resolution_business_seconds_sum {float(took.business_seconds)}" in body
    assert 'helpdesk_sla_resolution_business_seconds_bucket{le="+Inf"} 1.0' in body


def _copy_ticket(ticket: Ticket, times: int) -> None:
    """``times`` more rows like ``ticket``, in one statement (numbers made unique)."""
    columns = [
        f.column for f in Ticket._meta.concrete_fields
        if f.column != "id" and not getattr(f, "generated", False)
    ]
    select = ["number || '-' || g" if c == "number" else c for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Ticket._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(select)} FROM {Ticket._meta.db_table}, "
            f"generate_series(1, %s) AS g WHERE id = %s",
            [times, ticket.pk],
        )
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")


def test_a_scrape_makes_a_bounded_number_of_queries_at_100000_tickets(
    client, customer, django_assert_max_num_queries
):
    _copy_ticket(factories.TicketFactory(requester=customer), 100_000 - 1)
    assert Ticket.objects.count() == 100_000
    started = time.monotonic()
    with django_assert_max_num_queries(15):
        body = scrape(client)
    assert time.monotonic() - started < 5
    assert 'helpdesk_tickets{status="new"} 100000.0' in body
    with django_assert_max_num_queries(0):  # cached
        scrape(client)


def test_scraping_needs_the_token_or_an_allowed_network(client, db, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert scrape(client)
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403
    forwarded = client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert forwarded.status_code == 403


def test_the_shipped_dashboard_and_alerts_use_series_we_expose(client, db):
    import json
    import re
    from pathlib import Path

    import yaml

    deploy = Path(__file__).resolve().parents[2] / "deploy"
    rules = yaml.safe_load((deploy / "prometheus-alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert {"HelpdeskOutboxStuck", "HelpdeskSlaSweepLate", "HelpdeskWorkerMissing",
            "HelpdeskNotReady", "HelpdeskSlaBreachRateHigh"} <= alerts
    dashboard = json.loads((deploy / "grafana-dashboard.json").read_text())
    text = json.dumps(dashboard) + (deploy / "prometheus-alerts.yml").read_text()
    body = scrape(client)
    for name in set(re.findall(r"helpdesk_[a-z_]+", text)):
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        assert f"# TYPE {base} " in body, name
