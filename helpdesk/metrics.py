"""``/metrics`` for Prometheus: django-prometheus's HTTP and database series, plus ours.

Our series describe the helpdesk, read from the database: tickets by status, type and
priority; open clocks at risk and breached and the SLA events of the day; reaction and
resolution business times of the last 30 days as histograms; outbox rows by status and
reason, the oldest pending row and the sends of the last five minutes; inbound mail by
outcome; webhook deliveries by outcome; and the readiness checks. Each is one grouped
query on an index, and the whole snapshot is cached for ``METRICS_CACHE_SECONDS``, so a
scrape costs a bounded number of queries however big the tables grow, and nothing at all
while the cache is warm.

Access: a bearer ``METRICS_TOKEN``, or a peer address in ``METRICS_ALLOWED_NETWORKS``
(the connection's own address, never X-Forwarded-For)."""

import datetime
import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from accounts.security import client_ip
from helpdesk import health
from mailin.models import InboundMessage
from notifications.models import Notification
from sla.models import SlaEvent, SlaEventKind, SlaState
from tickets.models import OPEN_STATUSES, Ticket
from webhooks.models import Delivery

logger = logging.getLogger(__name__)

CACHE_KEY = "helpdesk:metrics:snapshot"
# Business seconds: 15 min … 80 business hours (the Low resolution target).
BUCKETS = [900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 16 * 3600, 24 * 3600,
           40 * 3600, 80 * 3600]
HISTOGRAM_DAYS = 30
SENDS_WINDOW_SECONDS = 300


# --- the snapshot: plain data, cached ----------------------------------------------------


def snapshot(now: datetime.datetime | None = None) -> dict:
    """Every number of our series (one query each, cached)."""
    try:
        cached = cache.get(CACHE_KEY)
    except Exception:  # noqa: BLE001 - Redis down: compute, do not fail the scrape
        cached = None
    if cached is not None:
        return cached
    data = _compute(now or timezone.now())
    try:
        cache.set(CACHE_KEY, data, settings.METRICS_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        logger.debug("Metrics snapshot not cached", exc_info=True)
    return data


def _compute(now) -> dict:
    overall, checks = health.readiness()
    return {
        "tickets": _rows(Ticket.objects.values("status").annotate(n=Count("id"))),
        "open": _rows(
            Ticket.objects.filter(status__in=OPEN_STATUSES)
            .values("status", "type", "priority", "reaction_state", "resolution_state")
            .annotate(n=Count("id"))
        ),
        "sla_events_today": _rows(
            SlaEvent.objects.filter(at__gte=_midnight(now), kind__in=SLA_OUTCOMES)
            .values("kind")
            .annotate(n=Count("id"))
        ),
        "reaction": _histogram(
            Ticket.objects.filter(
                created_at__gte=now - datetime.timedelta(days=HISTOGRAM_DAYS),
                reaction_business_seconds__isnull=False,
            ),
            "reaction_business_seconds",
        ),
        "resolution": _histogram(
            SlaEvent.objects.filter(
                at__gte=now - datetime.timedelta(days=HISTOGRAM_DAYS),
                kind__in=[SlaEventKind.RESOLUTION_MET, SlaEventKind.RESOLUTION_BREACHED],
                business_seconds__isnull=False,
            ),
            "business_seconds",
        ),
        "outbox": _rows(
            Notification.objects.values("status", "suppressed_reason").annotate(n=Count("id"))
        ),
        "outbox_sent_recent": Notification.objects.filter(
            sent_at__gte=now - datetime.timedelta(seconds=SENDS_WINDOW_SECONDS)
        ).count(),
        "inbound": _rows(InboundMessage.objects.values("status", "reason").annotate(n=Count("id"))),
        "webhook_deliveries": _rows(
            Delivery.objects.order_by().values("status").annotate(n=Count("id"))
        ),
        "ready": overall,
        "checks": checks,
    }


SLA_OUTCOMES = [
    SlaEventKind.REACTION_AT_RISK, SlaEventKind.REACTION_MET, SlaEventKind.REACTION_BREACHED,
    SlaEventKind.RESOLUTION_AT_RISK, SlaEventKind.RESOLUTION_MET,
    SlaEventKind.RESOLUTION_BREACHED,
]


def _rows(queryset) -> list[dict]:
    return [{k: ("" if v is None else v) for k, v in row.items()} for row in queryset]


def _histogram(queryset, column: str) -> dict:
    """Cumulative bucket counts, the sum and the count, in one aggregate query."""
    aggregates = {f"le_{b}": Count("id", filter=Q(**{f"{column}__lte": b})) for b in BUCKETS}
    row = queryset.aggregate(**aggregates, total=Count("id"), sum=Sum(column))
    return {
        "buckets": [[b, row[f"le_{b}"]] for b in BUCKETS],
        "count": row["total"],
        "sum": float(row["sum"] or 0),
    }


def _midnight(now):
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(settings.SLA_CALENDAR_TIME_ZONE))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


# --- the collector: snapshot → metric families --------------------------------------------


class HelpdeskCollector:
    def collect(self):
        data = snapshot()
        yield from _ticket_families(data)
        yield from _sla_families(data)
        yield from _outbox_families(data)
        yield from _inbound_families(data)
        yield from _webhook_families(data)
        yield from _readiness_families(data)


def _gauge(name, doc, labels, rows, key="n"):
    family = GaugeMetricFamily(name, doc, labels=labels)
    for row in rows:
        family.add_metric([str(row[label]) for label in labels], row[key])
    return family


def _ticket_families(data):
    yield _gauge("helpdesk_tickets", "Tickets by status.", ["status"], data["tickets"])
    yield _gauge(
        "helpdesk_open_tickets", "Open tickets by status, type and priority.",
        ["status", "type", "priority"], _sum_by(data["open"], ["status", "type", "priority"]),
    )


def _sla_families(data):
    family = GaugeMetricFamily(
        "helpdesk_sla_open_clocks", "Open tickets' SLA clocks at risk or breached.",
        labels=["clock", "state", "priority"],
    )
    for clock in ("reaction", "resolution"):
        column = f"{clock}_state"
        for row in _sum_by(data["open"], [column, "priority"]):
            if row[column] in (SlaState.AT_RISK, SlaState.BREACHED):
                family.add_metric([clock, row[column], str(row["priority"])], row["n"])
    yield family
    yield _gauge(
        "helpdesk_sla_events_today",
        "SLA outcomes recorded since midnight in the calendar's time zone.",
        ["kind"], data["sla_events_today"],
    )
    for clock in ("reaction", "resolution"):
        histogram = data[clock]
        family = HistogramMetricFamily(
            f"helpdesk_sla_{clock}_business_seconds",
            f"Business seconds to {clock}, tickets of the last {HISTOGRAM_DAYS} days.",
            labels=[],
        )
        buckets = [(str(float(le)), n) for le, n in histogram["buckets"]]
        buckets.append(("+Inf", histogram["count"]))
        family.add_metric([], buckets, histogram["sum"])
        yield family


def _outbox_families(data):
    yield _gauge(
        "helpdesk_outbox_rows", "Outbox rows by status and suppression reason.",
        ["status", "suppressed_reason"], data["outbox"],
    )
    outbox = data["checks"].get("outbox", {})
    yield GaugeMetricFamily(
        "helpdesk_outbox_oldest_pending_age_seconds", "Age of the oldest pending mail.",
        value=outbox.get("oldest_age_seconds") or 0,
    )
    yield GaugeMetricFamily(
        "helpdesk_outbox_sends_per_second",
        f"Mails sent per second over the last {SENDS_WINDOW_SECONDS} seconds.",
        value=data["outbox_sent_recent"] / SENDS_WINDOW_SECONDS,
    )


def _webhook_families(data):
    yield _gauge(
        "helpdesk_webhook_deliveries", "Webhook deliveries by outcome (status).",
        ["status"], data.get("webhook_deliveries", []),
    )


def _inbound_families(data):
    yield _gauge(
        "helpdesk_inbound_messages", "Inbound mail by outcome (status) and reason.",
        ["status", "reason"], data["inbound"],
    )


def _readiness_families(data):
    checks = data["checks"]
    ready = GaugeMetricFamily(
        "helpdesk_ready_check", "1 if the readiness check passes (degraded counts).",
        labels=["check"],
    )
    for name, check in checks.items():
        ready.add_metric([name], 0 if check["status"] == health.FAIL else 1)
    yield ready
    yield GaugeMetricFamily(
        "helpdesk_ready", "1 if /health/ready answers 200.",
        value=0 if data["ready"] == health.FAIL else 1,
    )
    workers = GaugeMetricFamily(
        "helpdesk_worker_heartbeat_age_seconds",
        "Seconds since the freshest worker of a queue beat (-1: none seen).",
        labels=["queue"],
    )
    for queue, age in (checks.get("workers", {}).get("age_seconds") or {}).items():
        workers.add_metric([queue], -1 if age is None else age)
    yield workers
    sweep = checks.get("sla_sweep", {}).get("since_last_seconds")
    yield GaugeMetricFamily(
        "helpdesk_sla_sweep_age_seconds", "Seconds since the SLA sweep last finished "
        "(-1: never).", value=-1 if sweep is None else sweep,
    )


def _sum_by(rows, keys):
    totals: dict[tuple, int] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        totals[key] = totals.get(key, 0) + row["n"]
    return [dict(zip(keys, key, strict=True), n=n) for key, n in totals.items()]


DOMAIN = CollectorRegistry(auto_describe=False)
DOMAIN.register(HelpdeskCollector())


# --- the view ------------------------------------------------------------------------------


def may_scrape(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given:
        return hmac.compare_digest(given.encode(), token.encode())
    try:
        # The client behind our own proxies (TRUSTED_PROXIES), not the proxy itself:
        # behind the compose nginx every request would come from an allowed network.
        peer = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(net) for net in settings.METRICS_ALLOWED_NETWORKS)


def _process_registry():
    """django-prometheus's series; with PROMETHEUS_MULTIPROC_DIR (gunicorn with several
    workers) summed over the processes."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


@never_cache
@require_GET
def metrics(request):
    if not may_scrape(request):
        return HttpResponseForbidden("metrics: token or network required\n")
    body = generate_latest(_process_registry()) + generate_latest(DOMAIN)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
