"""Rules that time enforces: auto-closing resolved tickets and the end of the reopen window.

Run by Celery beat (``tickets.tasks``); each sweep is idempotent, so a repeated or
overlapping run changes nothing twice.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import services
from tickets.models import Status, Ticket

logger = logging.getLogger(__name__)


def business_days(calendar, count: int) -> datetime.timedelta:
    """N business days as business time: N standard working days (9 h each by default)."""
    return count * calendar.standard_day


def auto_close_moments(ticket: Ticket, calendar) -> tuple[datetime.datetime, datetime.datetime]:
    """When a resolved ticket is warned about, and when it closes by itself."""
    days = settings.AUTO_CLOSE_BUSINESS_DAYS
    close_at = calendar.add(ticket.resolved_at, business_days(calendar, days))
    warn_at = calendar.add(ticket.resolved_at, business_days(calendar, max(days - 1, 0)))
    return warn_at, close_at


def auto_close_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Close resolved tickets the customer left unanswered for AUTO_CLOSE_BUSINESS_DAYS,
    after a warning mail one business day before."""
    from sla.services import current_calendar

    now = now or timezone.now()
    calendar = current_calendar()
    counts = {"warned": 0, "closed": 0}
    resolved = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__isnull=False)
    for ticket in resolved.iterator(chunk_size=200):
        warn_at, close_at = auto_close_moments(ticket, calendar)
        if now >= close_at:
            counts["closed"] += _auto_close(ticket)
        elif now >= warn_at:
            counts["warned"] += _warn(ticket, close_at)
    return counts


def _auto_close(ticket: Ticket) -> int:
    reason = _("Closed automatically: no answer for %(days)s business days after resolution.")
    try:
        services.ticket_close(
            ticket=ticket,
            actor=None,
            reason=reason % {"days": settings.AUTO_CLOSE_BUSINESS_DAYS},
        )
    except services.ActionRefused as exc:  # the customer answered a moment ago
        logger.info("Auto-close of %s skipped: %s", ticket.number, exc.message)
        return 0
    return 1


def _warn(ticket: Ticket, close_at: datetime.datetime) -> int:
    from notifications.models import Event, Notification
    from notifications.services import notify_auto_close_warning

    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        already = Notification.objects.filter(
            ticket=locked, event=Event.AUTO_CLOSE_WARNING, created_at__gte=locked.resolved_at
        ).exists()
        if already or locked.status != Status.RESOLVED:
            return 0
        notify_auto_close_warning(ticket=locked, close_at=close_at)
    return 1


def reopen_window_sweep(*, now: datetime.datetime | None = None) -> int:
    """Mark closed tickets whose reopen window has passed, for lists to show it."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.REOPEN_WINDOW_DAYS)
    return Ticket.objects.filter(
        status=Status.CLOSED, closed_at__lt=cutoff, reopen_expired=False
    ).update(reopen_expired=True)
