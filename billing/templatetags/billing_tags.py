"""Billing on the ticket page, hours and windows in the calendar's time zone."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.urls import reverse
from django.utils import formats, timezone

from billing import selectors, services
from billing.forms import OutOfHoursRequestForm
from billing.models import UpdateSchedule
from sla.display import gmt_label
from sla.services import current_calendar
from tickets.models import TicketType

register = template.Library()


def _moment(value) -> datetime.datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime.datetime) else None


def _local_text(moment: datetime.datetime, with_date: bool = True) -> str:
    tz = services.calendar_zone()
    with timezone.override(tz):
        return formats.date_format(moment.astimezone(tz), "DATETIME_FORMAT" if with_date else "H:i")


@register.filter
def calendar_time(value) -> str:
    """'27 Nov 2026, 20:00 (GMT+3)': a moment (or its ISO text) in the calendar's zone."""
    moment = _moment(value)
    if moment is None:
        return ""
    return f"{_local_text(moment)} ({gmt_label(moment)})"


@register.filter
def calendar_window(start, end) -> str:
    """'27 Nov 2026, 20:00 – 23:00 (GMT+3)'; the end's date too when it is another day."""
    start, end = _moment(start), _moment(end)
    if start is None or end is None:
        return ""
    tz = services.calendar_zone()
    same_day = start.astimezone(tz).date() == (end - datetime.timedelta(microseconds=1)).astimezone(
        tz
    ).date()
    return f"{_local_text(start)} – {_local_text(end, with_date=not same_day)} ({gmt_label(start)})"


@register.filter
def hours(seconds) -> str:
    """Seconds as hours with two decimals in the reader's locale: 5400 -> '1.50'."""
    if seconds in (None, ""):
        return ""
    value = (Decimal(int(seconds)) / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return formats.number_format(value, decimal_pos=2)


@register.filter
def double(value) -> int:
    return 2 * int(value or 0)


def _request_rows(ticket, user) -> list[dict]:
    return [
        {"ooh": ooh, "may_decide": services.may_decide(user, ooh)}
        for ooh in selectors.out_of_hours_requests_of(ticket)
    ]


def _schedule(ticket):
    if ticket.type != TicketType.UPDATE_INSTALLATION:
        return None
    try:
        schedule = ticket.update_schedule
    except UpdateSchedule.DoesNotExist:
        return None
    outside = current_calendar().outside_duration(schedule.window_start, schedule.window_end)
    return {"schedule": schedule, "outside_seconds": int(outside.total_seconds())}


@register.inclusion_tag("billing/_ticket_billing.html", takes_context=True)
def ticket_billing_panel(context, ticket):
    """Out-of-hours requests, the update schedule and the logged time of a ticket."""
    user = context["user"]
    is_customer = services.is_customer_of(user, ticket)
    can_request = services.may_request_out_of_hours(user, ticket)
    form = None
    if can_request and is_customer:  # the form is shown only then; its times read the calendar
        start, end = services.urgent_window(timezone.now())
        form = OutOfHoursRequestForm(initial={"start": start, "end": end})
    return {
        "ticket": ticket,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "requests": [] if context.get("out_of_hours_none") else _request_rows(ticket, user),
        "can_request": can_request and is_customer,
        "staff_request_url": (
            reverse("admin:billing_outofhoursrequest_add") + f"?ticket={ticket.pk}"
            if can_request and user.is_contractor else ""
        ),
        "log_time_url": (
            reverse("admin:billing_timeentry_add") + f"?ticket={ticket.pk}"
            if user.is_contractor else ""
        ),
        "urgent_quick": services.may_request_urgent(user, ticket),
        "urgent_hours": services.urgent_window_hours(),
        "form": form,
        "schedule": _schedule(ticket),
        "totals": (
            selectors.ticket_time_totals(ticket)
            if user.is_contractor or user.is_representative else None
        ),
        "calendar_tz": str(services.calendar_zone()),
    }


@register.filter
def decision_label(value) -> str:
    from billing.models import Decision

    try:
        return str(Decision(value).label)
    except ValueError:
        return str(value)


@register.filter
def month_label(value) -> str:
    """'2026-11-01' (or a date) -> 'November 2026' in the reader's language."""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return formats.date_format(value, "F Y")
