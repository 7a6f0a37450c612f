"""Delivery of the outbox: each row is sent once, retried with backoff, relayed when
its task never came, and ends in a state staff can see (sent, failed, suppressed).

The guarantee and its limit are in ``notification_send``.
"""

import logging
import random
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import logcontext
from notifications.models import (
    Notification,
    NotificationStatus,
    SuppressedAddress,
    SuppressionKind,
    SuppressionReason,
)
from notifications.services import dispatch, suppression_add

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    outcome: str  # sent, skipped, suppressed, failed, retry
    retry_in: float | None = None


def notification_send(*, notification_id: int) -> SendResult:
    """Send one outbox row, once.

    The row is claimed with a compare-and-swap UPDATE (pending → sending, or a row stuck in
    sending for longer than MAIL_SENDING_TIMEOUT_SECONDS), so two tasks for the same row
    (a redelivered message, the relay and the original task) send it once: the loser
    finds nothing to claim. Every outcome is written only while the claim is still ours.

    The window that remains: the provider accepted the mail and the worker died (or lost
    the database) before marking the row sent. The row stays in ``sending``, the relay
    reclaims it after the timeout and the mail goes out a second time, with the same
    Message-ID (some clients fold such duplicates; nobody guarantees it). Closing that
    window needs an idempotency key at the provider, which SMTP does not have.
    """
    now = timezone.now()
    notification = _claim(notification_id, now)
    if notification is None:
        return SendResult("skipped")
    logcontext.bind(ticket=notification.ticket.number if notification.ticket else None)
    if SuppressedAddress.objects.active().filter(email=notification.to_email).exists():
        _finish(
            notification,
            status=NotificationStatus.SUPPRESSED,
            suppressed_reason=SuppressionReason.ADDRESS,
        )
        return SendResult("suppressed")
    from notifications.rendering import build_message

    try:
        message = build_message(notification)
    except DatabaseError:
        raise  # the row stays in sending; the relay takes it again after the timeout
    except Exception as exc:  # a template or data error: retrying will not help
        logger.exception("Notification %s could not be rendered", notification.pk)
        _finish(notification, status=NotificationStatus.FAILED, last_error=_describe(exc))
        return SendResult("failed")
    try:
        message.send()
    except Exception as exc:
        return _failed_attempt(notification, exc)
    _finish(
        notification,
        status=NotificationStatus.SENT,
        sent_at=timezone.now(),
        last_error="",
        provider_message_id=_provider_id(message),
        subject=message.subject[:255],
    )
    logger.info("Notification %s (%s) sent", notification.pk, notification.event)
    return SendResult("sent")


def _claim(notification_id: int, now) -> Notification | None:
    stale = now - timedelta(seconds=settings.MAIL_SENDING_TIMEOUT_SECONDS)
    claimable = Q(status=NotificationStatus.PENDING) | Q(
        status=NotificationStatus.SENDING, claimed_at__lt=stale
    )
    claimed = Notification.objects.filter(claimable, pk=notification_id).update(
        status=NotificationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return Notification.objects.select_related(
        "ticket", "ticket__organisation", "ticket__requester", "recipient", "actor"
    ).get(pk=notification_id)


def _finish(notification: Notification, **fields) -> bool:
    """Record an outcome, unless another worker has reclaimed the row meanwhile."""
    return bool(
        Notification.objects.filter(
            pk=notification.pk,
            status=NotificationStatus.SENDING,
            claimed_at=notification.claimed_at,
        ).update(**fields)
    )


def retry_deadline(notification: Notification):
    """Transient failures are retried, the way an MTA queues, until this moment."""
    return notification.retry_since + timedelta(hours=settings.MAIL_RETRY_LIFETIME_HOURS)


def _failed_attempt(notification: Notification, exc: Exception) -> SendResult:
    error = _describe(exc)
    if is_transient(exc) and timezone.now() < retry_deadline(notification):
        delay = backoff_seconds(notification.attempts)
        logger.warning(
            "Notification %s: attempt %s failed (%s); again in %.0f s",
            notification.pk,
            notification.attempts,
            error,
            delay,
        )
        _finish(
            notification,
            status=NotificationStatus.PENDING,
            last_error=error,
            claimed_at=None,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        return SendResult("retry", retry_in=delay)
    logger.error(
        "Notification %s failed after %s attempts: %s",
        notification.pk,
        notification.attempts,
        error,
    )
    _finish(notification, status=NotificationStatus.FAILED, last_error=error)
    if refuses_the_address(exc):
        # The server says the address does not take mail: stop mailing it (staff can clear).
        suppression_add(
            email=notification.to_email, reason=SuppressionKind.HARD_BOUNCE, detail=error
        )
    return SendResult("failed")


def refuses_the_address(exc: Exception) -> bool:
    """A permanent refusal of the recipient itself (5xx for the address)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(500 <= code < 600 for code, _msg in exc.recipients.values())
    return isinstance(exc, AnymailRecipientsRefused)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, then a random half to all of it."""
    delay = min(
        settings.MAIL_RETRY_MAX_SECONDS,
        settings.MAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not cryptography


def is_transient(exc: Exception) -> bool:
    """Worth another try: the network, a 4xx from SMTP, a 429 or 5xx from an ESP's API."""
    if isinstance(exc, AnymailRecipientsRefused):
        return False
    if isinstance(exc, AnymailAPIError):
        return exc.status_code is None or exc.status_code == 429 or exc.status_code >= 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(not 500 <= code < 600 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return not 500 <= exc.smtp_code < 600
    return isinstance(exc, OSError)  # SMTPException, refused connections, timeouts


def _describe(exc: Exception) -> str:
    try:
        text = str(exc)
    except Exception:  # some exceptions cannot describe themselves without a response
        text = repr(exc.args)
    return f"{type(exc).__name__}: {text}"[:2000]


def _provider_id(message) -> str:
    status = getattr(message, "anymail_status", None)
    provider_id = getattr(status, "message_id", None)
    if provider_id is None:
        return ""
    if isinstance(provider_id, set):
        provider_id = ",".join(sorted(str(i) for i in provider_id))
    return str(provider_id)[:255]


def notifications_relay(*, now=None) -> int:
    """Queue what no task is carrying: rows whose task never ran (the broker was down at
    commit, or a retry could not be queued) and rows stuck in sending.

    A row just written is left alone for MAIL_RELAY_GRACE_SECONDS, its own task being on
    the way; a queued row's next attempt moves on by the sending timeout, so the relay
    does not queue it again every minute while it waits in a long queue.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.MAIL_SENDING_TIMEOUT_SECONDS)
    due = list(
        Notification.objects.filter(
            Q(
                status=NotificationStatus.PENDING,
                next_attempt_at__lte=now - timedelta(seconds=settings.MAIL_RELAY_GRACE_SECONDS),
            )
            | Q(status=NotificationStatus.SENDING, claimed_at__lt=stale)
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[: settings.MAIL_RELAY_BATCH]
    )
    if not due:
        return 0
    Notification.objects.filter(pk__in=due, status=NotificationStatus.PENDING).update(
        next_attempt_at=now + timedelta(seconds=settings.MAIL_SENDING_TIMEOUT_SECONDS)
    )
    dispatch(due)
    return len(due)


def notification_resend(*, notification: Notification) -> bool:
    """Staff send a failed or suppressed mail again, with fresh attempts. A sent mail is
    not sent twice, and a suppressed address still gets nothing until it is cleared."""
    resent = Notification.objects.filter(
        pk=notification.pk,
        status__in=[NotificationStatus.FAILED, NotificationStatus.SUPPRESSED],
    ).update(
        status=NotificationStatus.PENDING,
        attempts=0,
        suppressed_reason="",
        last_error="",
        next_attempt_at=timezone.now(),
        retry_since=timezone.now(),  # a whole retry lifetime again
        failure_reported_at=None,  # should it fail again, the managers hear of it again
        claimed_at=None,
    )
    if resent:
        transaction.on_commit(partial(dispatch, [notification.pk]), robust=True)
    return bool(resent)
