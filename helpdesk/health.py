"""Liveness and readiness for load balancers, Kubernetes probes and people.

``/health/live`` answers from the first middleware and touches nothing. ``/health/ready``
runs every check of ``CHECKS`` and answers 503 if one failed, 200 otherwise (a degraded
check, such as Redis down, still serves: the product works without Redis). Each check
reports its latency; the details go only to staff or to a caller with ``HEALTH_TOKEN``.
Thresholds are settings (``HEALTH_*``). Why not django-health-check: see the README.
"""

import datetime
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import heartbeats
from mailin.models import InboundMessage
from mailin.models import Status as InboundStatus
from notifications.models import Notification, NotificationStatus

logger = logging.getLogger(__name__)

OK, DEGRADED, FAIL = "ok", "degraded", "fail"
_RANK = {OK: 0, DEGRADED: 1, FAIL: 2}
LIVE_PATH = "/health/live"


@dataclass
class Result:
    status: str
    detail: dict = field(default_factory=dict)


# --- the checks ------------------------------------------------------------------------


def check_database(now) -> Result:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Result(OK)


_migrations_applied = False  # once true, true for the life of the process


def check_migrations(now) -> Result:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            return Result(FAIL, {"unapplied": len(plan)})
        _migrations_applied = True
    return Result(OK)


def check_redis(now) -> Result:
    if not settings.REDIS_URL:
        return Result(OK, {"configured": False})
    import redis

    timeout = settings.HEALTH_REDIS_TIMEOUT_SECONDS
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        return Result(DEGRADED, {"error": type(exc).__name__})
    finally:
        client.close()
    return Result(OK)


def check_workers(now) -> Result:
    ages = heartbeats.worker_queue_ages(now=now)
    limit = settings.HEALTH_WORKER_MAX_AGE_SECONDS
    queues = {q: (round(ages[q], 1) if q in ages else None) for q in worker_queues()}
    late = [q for q, age in queues.items() if age is None or age > limit]
    return Result(FAIL if late else OK, {"age_seconds": queues, "missing": late})


def worker_queues() -> list[str]:
    return settings.HEALTH_WORKER_QUEUES or sorted(settings.CELERY_QUEUES_ALL)


def check_outbox(now) -> Result:
    pending = Notification.objects.filter(status=NotificationStatus.PENDING).aggregate(
        rows=Count("id"), oldest=Min("created_at")
    )
    age = _age(now, pending["oldest"])
    too_old = age is not None and age > settings.HEALTH_OUTBOX_MAX_AGE_SECONDS
    too_many = pending["rows"] > settings.HEALTH_OUTBOX_MAX_PENDING
    return Result(
        FAIL if too_old or too_many else OK,
        {"pending": pending["rows"], "oldest_age_seconds": age},
    )


REVIEW_BACKLOG_STATUSES = (InboundStatus.HELD, InboundStatus.FAILED)


def check_inbound_review(now) -> Result:
    backlog = InboundMessage.objects.filter(status__in=REVIEW_BACKLOG_STATUSES).aggregate(
        rows=Count("id"), oldest=Min("received_at")
    )
    # People work this queue: a long one is worth a look, never a reason to stop serving.
    over = backlog["rows"] > settings.HEALTH_INBOUND_REVIEW_MAX
    return Result(
        DEGRADED if over else OK,
        {"waiting": backlog["rows"], "oldest_age_seconds": _age(now, backlog["oldest"])},
    )


def check_sla_sweep(now) -> Result:
    age = heartbeats.heartbeat_age(name=heartbeats.SLA_SWEEP, now=now)
    late = age is None or age > settings.HEALTH_SLA_SWEEP_MAX_AGE_SECONDS
    return Result(FAIL if late else OK, {"since_last_seconds": _round(age)})


def _age(now, moment) -> float | None:
    return None if moment is None else _round((now - moment).total_seconds())


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


CHECKS: dict[str, Callable[[datetime.datetime], Result]] = {
    "database": check_database,
    "migrations": check_migrations,
    "redis": check_redis,
    "workers": check_workers,
    "outbox": check_outbox,
    "inbound_review": check_inbound_review,
    "sla_sweep": check_sla_sweep,
}
# Without the database nothing else can be read: those report "skipped", not their error.
NEEDS_DATABASE = {"migrations", "workers", "outbox", "inbound_review", "sla_sweep"}


def readiness() -> tuple[str, dict]:
    """Run every check: (overall status, {name: {status, latency_ms, …}})."""
    now = timezone.now()
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and results["database"]["status"] == FAIL:
            results[name] = {"status": FAIL, "latency_ms": 0.0, "skipped": "database"}
            continue
        started = time.perf_counter()
        try:
            result = check(now)
        except Exception as exc:  # noqa: BLE001 - a failing check is a result
            logger.warning("Readiness check %s failed", name, exc_info=True)
            result = Result(FAIL, {"error": type(exc).__name__})
        latency = round((time.perf_counter() - started) * 1000, 1)
        results[name] = {"status": result.status, "latency_ms": latency, **result.detail}
    overall = max((r["status"] for r in results.values()), key=_RANK.__getitem__)
    return overall, results


# --- the views -------------------------------------------------------------------------


class LiveMiddleware:
    """First in MIDDLEWARE: ``/health/live`` answers before sessions, hosts or the
    database are looked at, so a probe tells a hung process from a busy database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == LIVE_PATH:
            return JsonResponse({"status": OK}, headers={"Cache-Control": "no-store"})
        return self.get_response(request)


def may_see_details(request) -> bool:
    token = settings.HEALTH_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    try:
        return bool(request.user.is_authenticated and request.user.is_staff)
    except Exception:  # noqa: BLE001 - the database that holds sessions may be down
        return False


@never_cache
@require_GET
def ready(request):
    overall, results = readiness()
    body: dict = {"status": overall}
    if may_see_details(request):
        body["checks"] = results
    response = JsonResponse(body, status=503 if overall == FAIL else 200)
    if overall == FAIL:
        # One warning naming the checks, instead of Django's error line for every probe.
        failing = sorted(name for name, r in results.items() if r["status"] == FAIL)
        logger.warning("Not ready: %s", ", ".join(failing))
        response._has_been_logged = True
    return response
