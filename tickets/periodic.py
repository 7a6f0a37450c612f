"""Rules that time enforces: the SLA sweep, deadline recalculations, auto-closing.

Run by Celery beat (``tickets.tasks``: the SLA sweep every minute, auto-close every 15
minutes); each run is idempotent, so a repeated or overlapping run changes nothing twice.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from sla import services as sla
from tickets import notify
from tickets.deadlines import auto_close_schedule
from tickets.models import OPEN_STATUSES, Status, Ticket
from tickets.services import ticket_close

logger = logging.getLogger(__name__)


# --- the SLA clock -----------------------------------------------------------------


def sla_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Tickets past the at-risk share or a deadline get their event once, and the mail
    (the assignee; on a breach the managers too) in the same transaction."""
    return sla.sla_sweep(table=Ticket._meta.db_table, now=now, on_recorded=_notify_sla)


def _notify_sla(kind: str, ticket_ids: list[int]) -> None:
    notify.notify_sla(kind=kind, ticket_ids=ticket_ids)


def open_tickets():
    return Ticket.objects.filter(status__in=OPEN_STATUSES)


def sla_recalculate_open(*, priority: int | None = None, note: str = "") -> int:
    """Recompute the open tickets' deadlines (of one priority) now, e.g. from a shell."""
    tickets = open_tickets()
    if priority is not None:
        tickets = tickets.filter(priority=priority)
    return sla.sla_recalculate_all(tickets=tickets, note=note)


def sla_recalculations_pending() -> bool:
    return sla.sla_recalculations_pending()


def sla_recalculations_run() -> int:
    """Work off the recalculations managers asked for (a policy or the calendar changed);
    the resolved tickets' auto-close moments follow the calendar too."""
    done = sla.sla_recalculations_run(open_tickets=open_tickets())
    if done:
        auto_close_recompute()
    return done


# --- auto-close --------------------------------------------------------------------


def auto_close_recompute() -> int:
    """The calendar changed: recompute the stored moments of every resolved ticket."""
    calendar = sla.current_calendar()
    count = 0
    resolved = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__isnull=False)
    for pk in resolved.values_list("pk", flat=True).iterator(chunk_size=500):
        with transaction.atomic():
            locked = Ticket.objects.select_for_update().get(pk=pk)
            if locked.status == Status.RESOLVED:
                auto_close_schedule(locked, calendar)
                count += 1
    return count


def auto_close_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Close resolved tickets the customer left unanswered for AUTO_CLOSE_BUSINESS_DAYS,
    after a warning mail one business day before. Two indexed queries on the stored
    moments; the warning is claimed with a compare-and-swap, so it goes once."""
    now = now or timezone.now()
    resolved = Ticket.objects.filter(status=Status.RESOLVED)
    unscheduled = resolved.filter(auto_close_at__isnull=True, resolved_at__isnull=False)
    for pk in unscheduled.values_list("pk", flat=True):  # resolved before moments were stored
        with transaction.atomic():
            auto_close_schedule(Ticket.objects.select_for_update().get(pk=pk))
    counts = {"warned": 0, "closed": 0}
    for pk in resolved.filter(auto_close_at__lte=now).values_list("pk", flat=True):
        counts["closed"] += _auto_close(pk)
    due = resolved.filter(
        auto_close_warn_at__lte=now, auto_close_warned_at__isnull=True, auto_close_at__gt=now
    )
    for pk in due.values_list("pk", flat=True):
        counts["warned"] += _warn(pk, now)
    return counts


def _auto_close(pk: int) -> int:
    reason = _("Closed automatically: no answer for %(days)s business days after resolution.")
    ticket = Ticket.objects.get(pk=pk)
    try:
        ticket_close(
            ticket=ticket, actor=None, reason=reason % {"days": settings.AUTO_CLOSE_BUSINESS_DAYS}
        )
    except ActionRefused as exc:  # the customer answered a moment ago
        logger.info("Auto-close of %s skipped: %s", ticket.number, exc.message)
        return 0
    return 1


def _warn(pk: int, now: datetime.datetime) -> int:
    with transaction.atomic():
        claimed = Ticket.objects.filter(
            pk=pk, status=Status.RESOLVED, auto_close_warned_at__isnull=True
        ).update(auto_close_warned_at=now)
        if not claimed:
            return 0
        ticket = Ticket.objects.get(pk=pk)
        notify.notify_auto_close_warning(ticket=ticket, close_at=ticket.auto_close_at)
    return 1
