"""Delivery of the webhook outbox: each row is claimed once, posted signed with a short
timeout, retried with exponential backoff, and ends delivered or failed, every attempt
logged for the subscriber. An endpoint that fails ``WEBHOOK_DISABLE_AFTER_FAILURES``
attempts in a row is disabled and its owner mailed.

No database transaction is open during the HTTP call: the claim and each outcome are
single UPDATEs of their own.
"""

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from notifications.api import notify_people
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription
from webhooks.services import dispatch, owner_may_subscribe
from webhooks.signing import signature
from webhooks.targets import TargetRefused, target_resolve

logger = logging.getLogger(__name__)

USER_AGENT = "Helpdesk-Webhooks/1"
MAX_RESPONSE_BYTES = 4096  # what we read of an answer: its status is what counts


@dataclass(frozen=True)
class DeliveryResult:
    outcome: str  # succeeded, failed, retry, skipped
    retry_in: float | None = None


def delivery_send(*, delivery_id) -> DeliveryResult:
    """Post one outbox row, once per claim (a compare-and-swap UPDATE, as the mail does)."""
    delivery = _claim(delivery_id, timezone.now())
    if delivery is None:
        return DeliveryResult("skipped")
    subscription = delivery.subscription
    if not subscription.is_active:
        _finish(delivery, status=DeliveryStatus.FAILED,
                last_error=gettext_noop("The endpoint is disabled."))
        return DeliveryResult("failed")
    if not (subscription.owner.is_active and owner_may_subscribe(subscription)):
        _finish(delivery, status=DeliveryStatus.FAILED,
                last_error=gettext_noop("The subscription's owner may no longer see these "
                                        "tickets."))
        return DeliveryResult("failed")
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    started = time.monotonic()
    status_code, error = _post(subscription, delivery, body)
    duration_ms = int((time.monotonic() - started) * 1000)
    DeliveryAttempt.objects.create(
        delivery=delivery, number=delivery.log.count() + 1, status_code=status_code,
        error=error, duration_ms=duration_ms,
    )
    if status_code is not None and 200 <= status_code < 300:
        _finish(delivery, status=DeliveryStatus.SUCCEEDED, last_status_code=status_code,
                last_error="", delivered_at=timezone.now())
        Subscription.objects.filter(pk=subscription.pk, failure_count__gt=0).update(
            failure_count=0
        )
        return DeliveryResult("succeeded")
    return _failed_attempt(delivery, status_code, error)


def _post(subscription: Subscription, delivery: Delivery, body: bytes) -> tuple[int | None, str]:
    """(status code, error) of one signed POST to the checked address."""
    try:
        scheme, port, host, addresses = target_resolve(subscription.target_url)
    except TargetRefused as exc:
        return None, exc.message
    parts = urlsplit(subscription.target_url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Host": parts.netloc,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Helpdesk-Event": delivery.event_type,
        "Helpdesk-Event-Id": str(delivery.event_id),
        "Helpdesk-Delivery": str(delivery.pk),
        "Helpdesk-Signature": signature(
            secret=subscription.secret, timestamp=int(time.time()), body=body
        ),
    }
    seconds = settings.WEBHOOK_TIMEOUT_SECONDS
    options = {"timeout": urllib3.Timeout(connect=seconds, read=seconds), "retries": False,
               "maxsize": 1}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            addresses[0], port, server_hostname=host, assert_hostname=host, **options
        )
    else:
        pool = urllib3.HTTPConnectionPool(addresses[0], port, **options)
    try:
        response = pool.urlopen(
            "POST", path, body=body, headers=headers, redirect=False,
            preload_content=False, assert_same_host=False,
        )
        response.read(MAX_RESPONSE_BYTES)
        response.release_conn()
        if 200 <= response.status < 300:
            return response.status, ""
        return response.status, f"HTTP {response.status}"
    except Exception as exc:  # noqa: BLE001 - any failure of the endpoint is its failure
        return None, f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        pool.close()


def _claim(delivery_id, now) -> Delivery | None:
    stale = now - timedelta(seconds=settings.WEBHOOK_SENDING_TIMEOUT_SECONDS)
    claimable = Q(status=DeliveryStatus.PENDING) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=stale
    )
    if not Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    ):
        return None
    return Delivery.objects.select_related("subscription", "subscription__owner").get(
        pk=delivery_id
    )


def _finish(delivery: Delivery, **fields) -> bool:
    """Record an outcome, unless another worker has reclaimed the row meanwhile."""
    return bool(
        Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=delivery.claimed_at
        ).update(**fields)
    )


def backoff_seconds(attempts: int) -> float:
    """base·2^(n-1), capped, then a random half to all of it (jitter)."""
    delay = min(
        settings.WEBHOOK_RETRY_MAX_SECONDS,
        settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not cryptography


def _failed_attempt(delivery: Delivery, status_code: int | None, error: str) -> DeliveryResult:
    subscription = delivery.subscription
    Subscription.objects.filter(pk=subscription.pk).update(failure_count=F("failure_count") + 1)
    failures = Subscription.objects.values_list("failure_count", flat=True).get(
        pk=subscription.pk
    )
    if failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        subscription_disable(subscription=subscription, failures=failures, error=error)
    retry = delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS and (
        failures < settings.WEBHOOK_DISABLE_AFTER_FAILURES
    )
    logger.warning("Webhook delivery %s: attempt %s failed (%s)", delivery.pk,
                   delivery.attempts, error)
    if not retry:
        _finish(delivery, status=DeliveryStatus.FAILED, last_status_code=status_code,
                last_error=error)
        return DeliveryResult("failed")
    delay = backoff_seconds(delivery.attempts)
    _finish(delivery, status=DeliveryStatus.PENDING, last_status_code=status_code,
            last_error=error, claimed_at=None,
            next_attempt_at=timezone.now() + timedelta(seconds=delay))
    return DeliveryResult("retry", retry_in=delay)


def subscription_disable(*, subscription: Subscription, failures: int, error: str) -> bool:
    """Disable an endpoint that keeps failing and mail its owner, once (compare-and-swap)."""
    reason = f"{failures} failed attempts in a row; the last: {error}"[:2000]
    with transaction.atomic():
        disabled = Subscription.objects.filter(pk=subscription.pk, is_active=True).update(
            is_active=False, disabled_reason=reason, disabled_at=timezone.now()
        )
        if disabled:
            notify_people(
                event="webhook_disabled",
                users=[subscription.owner],
                context={"subscription_id": subscription.pk, "target_url": subscription.target_url,
                         "failures": failures, "error": error[:500]},
                essential=True,
            )
    if disabled:
        logger.error("Webhook subscription %s disabled: %s", subscription.pk, reason)
    return bool(disabled)


def deliveries_relay(*, now=None) -> int:
    """Queue what no task is carrying: due rows whose task never ran, and stuck rows."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.WEBHOOK_SENDING_TIMEOUT_SECONDS)
    due = list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.PENDING,
              next_attempt_at__lte=now - timedelta(seconds=settings.MAIL_RELAY_GRACE_SECONDS))
            | Q(status=DeliveryStatus.SENDING, claimed_at__lt=stale)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: settings.MAIL_RELAY_BATCH]
    )
    if not due:
        return 0
    Delivery.objects.filter(pk__in=due, status=DeliveryStatus.PENDING).update(
        next_attempt_at=now + timedelta(seconds=settings.WEBHOOK_SENDING_TIMEOUT_SECONDS)
    )
    dispatch(due)
    return len(due)
