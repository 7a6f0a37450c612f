"""What people read about a ticket's SLA, in their language.

A ticket here is anything with the SLA columns and ``live_clock`` (which clock the
contractor works against now: the ticket's state machine decides, ``tickets.models``)."""

import datetime
import functools
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import dates
from sla.models import LiveClock, SlaState


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.SLA_CALENDAR_TIME_ZONE)


def gmt_label(moment: datetime.datetime) -> str:
    """'GMT+3' for Moscow: the calendar zone's offset in force at that moment."""
    return dates.gmt_label(moment, _zone())


def deadline_text(moment: datetime.datetime) -> str:
    """'27 Nov 2026, 12:30 (GMT+3)' in the calendar's time zone, the portal's one date
    format (helpdesk/formats)."""
    local = moment.astimezone(_zone())
    with timezone.override(_zone()):
        day = formats.date_format(local, "DATETIME_FORMAT")
    return f"{day} ({gmt_label(moment)})"


def hours_text(seconds: int | float) -> str:
    hours = round(seconds / 3600, 1)
    shown = formats.number_format(hours, decimal_pos=1 if hours % 1 else 0)
    plural_n = int(hours) if hours == int(hours) else 2  # "1.5 hours", "1,5 часа"
    return ngettext("%(hours)s business hour", "%(hours)s business hours", plural_n) % {
        "hours": shown
    }


def _targets(ticket):
    from sla.services import targets_for

    return targets_for(ticket.priority)


def sla_lines(ticket, now: datetime.datetime | None = None) -> list[str]:
    """The reaction and the resolution line of the ticket page, those that say something;
    the policy is read once, and only if a line needs its target."""
    targets = functools.cache(lambda: _targets(ticket))
    lines = (reaction_line(ticket, now, targets=targets),
             resolution_line(ticket, now, targets=targets))
    return [line for line in lines if line]


def reaction_line(ticket, now: datetime.datetime | None = None, *, targets=None) -> str:
    """The portal's promise before the reaction, honest once it is late, and the record
    (with the target) after it. ``targets``: a function giving the ticket's targets."""
    now = now or timezone.now()
    if ticket.reaction_business_seconds is not None:
        target = (targets or (lambda: _targets(ticket)))().reaction.total_seconds()
        return _("Reacted in %(time)s (target %(target)s).") % {
            "time": hours_text(ticket.reaction_business_seconds),
            "target": hours_text(target),
        }
    if ticket.live_clock == LiveClock.REACTION and ticket.reaction_due:
        deadline = deadline_text(ticket.reaction_due)
        if now > ticket.reaction_due:
            return _("Reaction overdue since %(deadline)s; we are on it.") % {
                "deadline": deadline
            }
        return _("We will react by %(deadline)s.") % {"deadline": deadline}
    return ""


def resolution_line(ticket, now: datetime.datetime | None = None, *, targets=None) -> str:
    now = now or timezone.now()
    state = ticket.resolution_state
    if ticket.live_clock == LiveClock.PAUSED and state in (
        SlaState.PAUSED,
        SlaState.BREACHED,
    ):
        return _("The resolution clock is paused while we wait for your answer.")
    if ticket.live_clock in (LiveClock.REACTION, LiveClock.RESOLUTION) and ticket.resolution_due:
        deadline = deadline_text(ticket.resolution_due)
        if now > ticket.resolution_due:
            return _("Resolution overdue since %(deadline)s; we are on it.") % {
                "deadline": deadline
            }
        return _("Resolution target: %(deadline)s.") % {"deadline": deadline}
    if ticket.live_clock is None and state in (SlaState.MET, SlaState.BREACHED):
        took, target = _resolution_outcome(ticket, targets)
        line = (
            _("Resolved in %(time)s (target %(target)s): met.")
            if state == SlaState.MET
            else _("Resolved in %(time)s (target %(target)s): missed.")
        )
        return line % {"time": hours_text(took), "target": hours_text(target)}
    return ""


def _resolution_outcome(ticket, targets=None) -> tuple[float, float]:
    """Business seconds the resolution took, and the target it was held to then: from the
    outcome recorded when it stopped (a policy changed since does not rewrite it)."""
    from sla.models import SlaEvent, SlaEventKind

    outcome = (
        SlaEvent.objects.filter(
            ticket_id=ticket.pk,
            kind__in=[SlaEventKind.RESOLUTION_MET, SlaEventKind.RESOLUTION_BREACHED],
            business_seconds__isnull=False,
            target_seconds__isnull=False,
        )
        .order_by("-at", "-id")
        .values_list("business_seconds", "target_seconds")
        .first()
    )
    if outcome is not None:
        return max(outcome[0], 0), outcome[1]
    # Stopped before outcomes were kept: today's policy.
    target = (targets or (lambda: _targets(ticket)))().resolution.total_seconds()
    return max(target - (ticket.resolution_left_seconds or 0), 0), target


def live_deadline(ticket) -> tuple[datetime.datetime | None, str]:
    """The deadline the agent works against now, and its clock's state."""
    clock = ticket.live_clock
    if clock == LiveClock.REACTION:
        return ticket.reaction_due, ticket.reaction_state
    if clock == LiveClock.PAUSED:
        return None, SlaState.PAUSED
    if clock == LiveClock.RESOLUTION:
        return ticket.resolution_due, ticket.resolution_state
    return None, ticket.resolution_state


def time_left_text(ticket, calendar, now) -> str:
    """Business time left to the live deadline: '3.5 h left', '1.0 h overdue', 'paused'."""
    due, state = live_deadline(ticket)
    if state == SlaState.PAUSED:
        left = (ticket.resolution_left_seconds or 0) / 3600
        return _("paused, %(hours)s h left") % {"hours": formats.number_format(left, 1)}
    if due is None:
        return ""
    hours = calendar.between(now, due).total_seconds() / 3600
    if hours < 0 or state == SlaState.BREACHED:
        return _("%(hours)s h overdue") % {"hours": formats.number_format(abs(hours), 1)}
    return _("%(hours)s h left") % {"hours": formats.number_format(hours, 1)}
