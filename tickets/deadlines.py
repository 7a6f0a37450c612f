"""When a resolved ticket is warned about and closed by itself, on the business calendar."""

import datetime

from django.conf import settings

from sla import services as sla
from tickets.models import Ticket


def business_days(calendar, count: int) -> datetime.timedelta:
    """N business days as business time: N standard working days (9 h each by default)."""
    return count * calendar.standard_day


def auto_close_moments(
    ticket: Ticket, calendar=None
) -> tuple[datetime.datetime, datetime.datetime]:
    """When a resolved ticket is warned about, and when it closes by itself."""
    calendar = calendar or sla.current_calendar()
    days = settings.AUTO_CLOSE_BUSINESS_DAYS
    close_at = calendar.add(ticket.resolved_at, business_days(calendar, days))
    warn_at = calendar.add(ticket.resolved_at, business_days(calendar, max(days - 1, 0)))
    return warn_at, close_at


def auto_close_schedule(locked: Ticket, calendar=None) -> None:
    """Store when the resolved (locked) ticket is warned about and closed."""
    locked.auto_close_warn_at, locked.auto_close_at = auto_close_moments(locked, calendar)
    locked.save(update_fields=["auto_close_warn_at", "auto_close_at"])
