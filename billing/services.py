"""Every write of out-of-hours approvals, logged time and update schedules.

The rules, in the words of the product:
- Processing a ticket outside business hours is billed at double rate and needs the
  approval of both parties: the customer's representative (of the ticket's organisation)
  and a contractor manager. Either side may ask, for a time window, with a reason. A
  representative's own request is the customer's approval; a manager's own request the
  contractor's. One "decline" ends the request.
- Logged time is split by the business calendar into business hours and out of hours;
  out-of-hours time inside an approved window of its ticket counts double, outside any
  approved window it is flagged for a manager (and billed once).
- Update installations carry a window agreed with the customer and an estimate (1-3 hours
  by default); their logged time is billed as support hours, so it is always billable.

Statements are in ``billing.statements``.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing import mail, selectors
from billing.calendar import month_of, require_aware, split_time
from billing.models import (
    Activity,
    Decision,
    OutOfHoursRequest,
    OutOfHoursStatus,
    Statement,
    StatementStatus,
    TimeEntry,
    UpdateSchedule,
)
from core.errors import ActionRefused
from sla.models import RecalculationNote
from sla.services import current_calendar, sla_window_add
from tickets.models import OPEN_STATUSES, Priority, Ticket, TicketType

CUSTOMER, CONTRACTOR = "customer", "contractor"
# The longest window one request may cover; a longer job is several requests.
MAX_WINDOW = datetime.timedelta(hours=72)
# The one-click request on an Urgent incident: from now, for this long.
URGENT_WINDOW = datetime.timedelta(hours=4)

ACTIVITY_OF_TYPE = {
    TicketType.INCIDENT: Activity.INCIDENT_WORK,
    TicketType.CONSULTATION: Activity.CONSULTATION,
    TicketType.UPDATE_INSTALLATION: Activity.UPDATE_INSTALLATION,
}


def calendar_zone() -> ZoneInfo:
    """The business calendar's time zone (that of ``current_calendar()``, without a query):
    times are entered and shown in it."""
    return ZoneInfo(settings.SLA_CALENDAR_TIME_ZONE)


# --- out-of-hours requests: who may -------------------------------------------------


def is_customer_of(user: User, ticket: Ticket) -> bool:
    return user.is_customer and user.organisation_id == ticket.organisation_id


def may_request_out_of_hours(user: User, ticket: Ticket) -> bool:
    """Either party of an open ticket may ask for out-of-hours work on it."""
    if ticket.status not in OPEN_STATUSES:
        return False
    return user.is_contractor or is_customer_of(user, ticket)


def urgent_request_refusal(user: User, ticket: Ticket) -> ActionRefused | None:
    """The one-click out-of-hours request: for a customer of an open Urgent incident."""
    if ticket.type != TicketType.INCIDENT or ticket.priority != Priority.URGENT:
        return ActionRefused(
            _("The one-click request is for Urgent incidents; fill in the window instead."),
            code="not_urgent",
        )
    if not (may_request_out_of_hours(user, ticket) and is_customer_of(user, ticket)):
        return ActionRefused(_("You may not do that with this ticket."), code="forbidden")
    return None


def may_request_urgent(user: User, ticket: Ticket) -> bool:
    return urgent_request_refusal(user, ticket) is None


def urgent_window_hours() -> int:
    return int(URGENT_WINDOW.total_seconds() // 3600)


def side_of(user: User, ooh: OutOfHoursRequest) -> str | None:
    """The side on which the user decides: the ticket's representative or a manager."""
    if user.is_representative and user.organisation_id == ooh.ticket.organisation_id:
        return CUSTOMER
    if user.is_manager and user.is_contractor:
        return CONTRACTOR
    return None


def may_decide(user: User, ooh: OutOfHoursRequest) -> bool:
    side = side_of(user, ooh)
    return (
        side is not None
        and ooh.status == OutOfHoursStatus.PENDING
        and ooh.decision_of(side) == Decision.PENDING
    )


# --- out-of-hours requests: asking -------------------------------------------------


# Windows are recorded after the fact for at most a week, and asked for a year ahead.
MAX_PAST = datetime.timedelta(days=7)
MAX_AHEAD = datetime.timedelta(days=366)


def check_window(*, actor: User, start: datetime.datetime, end: datetime.datetime) -> None:
    """A window is aware, ends after it starts, is at most 72 hours long and has some
    time outside business hours; customers ask for windows still to come."""
    require_aware(start, end)
    if end <= start:
        raise ValidationError({"end": _("The window must end after it starts.")})
    if end - start > MAX_WINDOW:
        raise ValidationError(
            {"end": _("One request covers at most %(hours)s hours; ask again for the rest.")
             % {"hours": int(MAX_WINDOW.total_seconds() // 3600)}}
        )
    now = timezone.now()
    if not actor.is_contractor and end <= now:
        raise ValidationError({"end": _("The window has already ended.")})
    if start < now - MAX_PAST or end > now + MAX_AHEAD:
        raise ValidationError(
            _("A window lies within the past week and the coming year.")
        )
    if not current_calendar().outside_duration(start, end):
        raise ValidationError(
            _("The whole window is within business hours: no approval is needed for it.")
        )


def ooh_request_create(
    *,
    ticket: Ticket,
    actor: User,
    start: datetime.datetime,
    end: datetime.datetime,
    reason: str,
) -> OutOfHoursRequest:
    """Ask for out-of-hours work on a ticket; the asker's own side approves at once if the
    asker is its approver (a representative, a manager). Both sides are mailed."""
    if not may_request_out_of_hours(actor, ticket):
        raise ActionRefused(
            _("You may not ask for out-of-hours work on this ticket."), code="forbidden"
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the work cannot wait for business hours.")})
    check_window(actor=actor, start=start, end=end)
    now = timezone.now()
    with transaction.atomic():
        ooh = OutOfHoursRequest(
            ticket=ticket, requested_by=actor, requested_at=now, start=start, end=end,
            reason=reason.strip(),
        )
        side = side_of(actor, ooh)
        if side is not None:
            _set_decision(ooh, side, Decision.APPROVED, actor, now, "")
        ooh.save()
        mail.notify_ooh(mail.Events.OOH_REQUESTED, request=ooh, actor=actor)
    return ooh


def urgent_window(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """Four hours from now; inside business hours, from today's closing time instead (the
    work until then needs no approval)."""
    calendar = current_calendar()
    start = now.replace(second=0, microsecond=0)
    hours_today = calendar.hours_on(now.astimezone(calendar.tz).date())
    if hours_today is not None and hours_today[0] <= now < hours_today[1]:
        start = hours_today[1]
    return start, start + URGENT_WINDOW


def ooh_request_urgent(*, ticket: Ticket, actor: User) -> OutOfHoursRequest:
    """One click on an Urgent incident: out-of-hours work for the next four hours (from
    today's closing time when it is clicked in business hours)."""
    refusal = urgent_request_refusal(actor, ticket)
    if refusal is not None:
        raise refusal
    start, end = urgent_window(timezone.now())
    reason = _("Urgent incident %(number)s: the work cannot wait for business hours.") % {
        "number": ticket.number
    }
    return ooh_request_create(ticket=ticket, actor=actor, start=start, end=end, reason=reason)


# --- out-of-hours requests: deciding -----------------------------------------------


def ooh_request_approve(
    *, request: OutOfHoursRequest, actor: User, comment: str = ""
) -> OutOfHoursRequest:
    """Approve on the actor's side; with both sides approved the window counts double."""
    return _decide(request, actor, Decision.APPROVED, comment)


def ooh_request_decline(
    *, request: OutOfHoursRequest, actor: User, comment: str = ""
) -> OutOfHoursRequest:
    """Decline on the actor's side: the request is declined for good."""
    return _decide(request, actor, Decision.DECLINED, comment)


def _set_decision(ooh, side: str, decision: str, actor: User, when, comment: str) -> list[str]:
    setattr(ooh, f"{side}_decision", decision)
    setattr(ooh, f"{side}_decided_by", actor)
    setattr(ooh, f"{side}_decided_at", when)
    setattr(ooh, f"{side}_comment", comment.strip())
    if decision == Decision.DECLINED:
        ooh.status = OutOfHoursStatus.DECLINED
    elif ooh.customer_decision == ooh.contractor_decision == Decision.APPROVED:
        ooh.status = OutOfHoursStatus.APPROVED
    fields = ["decision", "decided_by", "decided_at", "comment"]
    return [f"{side}_{name}" for name in fields] + ["status"]


def _decide(ooh: OutOfHoursRequest, actor: User, decision: str, comment: str):
    with transaction.atomic():
        locked = OutOfHoursRequest.objects.select_for_update().select_related(
            "ticket", "requested_by"
        ).get(pk=ooh.pk)
        side = side_of(actor, locked)
        if side is None:
            raise ActionRefused(
                _("Only the customer's representative or a contractor manager decides on "
                  "out-of-hours work."),
                code="forbidden",
            )
        decided = locked.decision_of(side) != Decision.PENDING
        if locked.status != OutOfHoursStatus.PENDING or decided:
            raise ActionRefused(
                _("This request is already “%(status)s”; nothing was changed.")
                % {"status": _decision_label(locked, side)},
                code="decided",
            )
        fields = _set_decision(locked, side, decision, actor, timezone.now(), comment)
        locked.save(update_fields=fields)
        _after_decision(locked, actor, side)
    ooh.refresh_from_db()
    return locked


def _decision_label(ooh: OutOfHoursRequest, side: str) -> str:
    if ooh.status != OutOfHoursStatus.PENDING:
        return str(ooh.get_status_display())
    return str(Decision(ooh.decision_of(side)).label)


def _after_decision(ooh: OutOfHoursRequest, actor: User, side: str) -> None:
    if ooh.status == OutOfHoursStatus.APPROVED:
        time_entries_recompute(ticket=ooh.ticket)
        mail.notify_ooh(mail.Events.OOH_APPROVED, request=ooh, actor=actor, side=side)
        # While the window is open the ticket's SLA clock runs around the clock.
        ticket = Ticket.objects.select_for_update().get(pk=ooh.ticket_id)
        sla_window_add(
            ticket=ticket,
            start=ooh.start,
            end=ooh.end,
            note=RecalculationNote.OUT_OF_HOURS_APPROVED,
        )
    elif ooh.status == OutOfHoursStatus.DECLINED:
        mail.notify_ooh(
            mail.Events.OOH_DECLINED, request=ooh, actor=actor, side=side,
            comment=getattr(ooh, f"{side}_comment"),
        )
    else:
        mail.notify_ooh(mail.Events.OOH_SIDE_APPROVED, request=ooh, actor=actor, side=side)


# --- time entries ------------------------------------------------------------------


def default_activity(ticket: Ticket) -> str:
    return ACTIVITY_OF_TYPE.get(ticket.type, Activity.OTHER)


def _locking_statement(organisation_id: int, moment: datetime.datetime) -> Statement | None:
    """An issued or confirmed statement of the moment's month freezes that month's time."""
    month = month_of(moment, current_calendar())
    return Statement.objects.filter(
        organisation_id=organisation_id,
        month=month,
        status__in=[StatementStatus.ISSUED, StatementStatus.CONFIRMED],
    ).first()


def _check_not_frozen(organisation_id: int, moment: datetime.datetime) -> None:
    statement = _locking_statement(organisation_id, moment)
    if statement is not None:
        raise ValidationError(
            _("The statement for %(month)s is already issued, so its time cannot change. "
              "Log the time in the current month, or ask a manager.")
            % {"month": statement.month.strftime("%m/%Y")}
        )


def check_time_entry(entry: TimeEntry, actor: User) -> None:
    """Contractor staff log time; agents change their own entries, managers any; an
    update installation's time is always billable; a month with an issued statement is
    frozen."""
    if not actor.is_contractor:
        raise ActionRefused(_("Only the contractor's staff log time."), code="forbidden")
    original = TimeEntry.objects.filter(pk=entry.pk).select_related("ticket").first()
    if original is not None and not actor.is_manager and actor.pk not in (
        original.agent_id, original.created_by_id
    ):
        raise ActionRefused(_("Agents change only their own time entries."), code="forbidden")
    require_aware(entry.started_at)
    now = timezone.now()
    if not now - datetime.timedelta(days=3 * 366) <= entry.started_at <= now + MAX_AHEAD:
        raise ValidationError({"started_at": _("Time is logged within the last three years.")})
    if entry.duration is None or entry.duration <= datetime.timedelta(0):
        raise ValidationError({"duration": _("The duration must be more than zero.")})
    if entry.duration > datetime.timedelta(hours=24):
        raise ValidationError({"duration": _("One entry covers at most 24 hours.")})
    if entry.ticket.type == TicketType.UPDATE_INSTALLATION and not entry.billable:
        raise ValidationError(
            {"billable": _("An update installation is billed as support hours: its time is "
                           "always billable.")}
        )
    if original is not None:
        _check_not_frozen(original.ticket.organisation_id, original.started_at)
    _check_not_frozen(entry.ticket.organisation_id, entry.started_at)


def time_entry_save(*, entry: TimeEntry, actor: User) -> TimeEntry:
    """Log (or correct) time on a ticket, split by the calendar and the approved windows."""
    if entry.agent_id is None:
        entry.agent = actor
    if not entry.activity:
        entry.activity = default_activity(entry.ticket)
    check_time_entry(entry, actor)
    with transaction.atomic():
        if entry.pk is None:
            entry.created_by = actor
        _apply_split(entry, selectors.approved_windows(entry.ticket))
        entry.save()
    return entry


def time_entry_delete(*, entry: TimeEntry, actor: User) -> None:
    """Remove a mistaken entry (same rules as changing it)."""
    check_time_entry(entry, actor)
    entry.delete()


def _apply_split(entry: TimeEntry, windows, calendar=None) -> list[str]:
    """Store the entry's split; a changed unapproved part needs a new review."""
    split = split_time(calendar or current_calendar(), entry.started_at, entry.ended_at, windows)
    changed = split.unapproved_ooh != entry.unapproved_ooh_seconds
    entry.business_seconds = split.business
    entry.approved_ooh_seconds = split.approved_ooh
    entry.unapproved_ooh_seconds = split.unapproved_ooh
    entry.ooh_flagged = split.unapproved_ooh > 0
    fields = ["business_seconds", "approved_ooh_seconds", "unapproved_ooh_seconds", "ooh_flagged"]
    if changed or not entry.ooh_flagged:
        entry.ooh_reviewed_by, entry.ooh_reviewed_at = None, None
        fields += ["ooh_reviewed_by", "ooh_reviewed_at"]
    return fields


def time_entry_recompute(*, entry: TimeEntry, windows, calendar) -> bool:
    """Re-split one entry (calendar or windows changed); True if its figures changed."""
    before = (entry.business_seconds, entry.approved_ooh_seconds, entry.unapproved_ooh_seconds)
    fields = _apply_split(entry, windows, calendar)
    after = (entry.business_seconds, entry.approved_ooh_seconds, entry.unapproved_ooh_seconds)
    if before == after:
        return False
    entry.save(update_fields=[*fields, "updated_at"])
    return True


def time_entries_recompute(*, ticket: Ticket) -> int:
    """Re-split the ticket's entries of months not frozen by a statement."""
    calendar = current_calendar()
    windows = selectors.approved_windows(ticket)
    changed = 0
    for entry in ticket.time_entries.select_for_update():
        if _locking_statement(ticket.organisation_id, entry.started_at) is None:
            changed += time_entry_recompute(entry=entry, windows=windows, calendar=calendar)
    return changed


def time_entries_mark_reviewed(*, entries, actor: User) -> int:
    """A manager saw the unapproved out-of-hours time: it stays billed once."""
    if not actor.is_manager:
        raise ActionRefused(_("Only a manager reviews out-of-hours time."), code="forbidden")
    return (
        TimeEntry.objects.filter(pk__in=[e.pk for e in entries], ooh_flagged=True)
        .filter(ooh_reviewed_at__isnull=True)
        .update(ooh_reviewed_by=actor, ooh_reviewed_at=timezone.now())
    )


# --- update installation schedules -------------------------------------------------


def estimate_range() -> tuple[Decimal, Decimal]:
    low, high = settings.UPDATE_ESTIMATE_HOURS
    return Decimal(str(low)), Decimal(str(high))


def check_update_schedule(schedule: UpdateSchedule) -> None:
    """An update installation's agreed window holds its estimate of 1-3 hours."""
    errors = {}
    if schedule.ticket.type != TicketType.UPDATE_INSTALLATION:
        errors["ticket"] = _("Only an update installation ticket has an installation schedule.")
    start, end = schedule.window_start, schedule.window_end
    require_aware(start, end)
    low, high = estimate_range()
    estimate = schedule.estimate_hours
    if estimate is None or not low <= estimate <= high:
        errors["estimate_hours"] = _("An update installation is estimated at %(low)s to %(high)s "
                                     "hours.") % {"low": low.normalize(), "high": high.normalize()}
    if end <= start:
        errors["window_end"] = _("The window must end after it starts.")
    elif estimate is not None and end - start < datetime.timedelta(hours=float(estimate)):
        errors["window_end"] = _("The window is shorter than the estimate.")
    agreed = schedule.agreed_with
    if agreed is not None and agreed.organisation_id != schedule.ticket.organisation_id:
        errors["agreed_with"] = _("Choose a person of the ticket's organisation.")
    if errors:
        raise ValidationError(errors)


def update_schedule_save(*, schedule: UpdateSchedule, actor: User) -> UpdateSchedule:
    """Record the installation window agreed with the customer and its estimate."""
    if not actor.is_contractor:
        raise ActionRefused(_("Only the contractor's staff schedule updates."), code="forbidden")
    check_update_schedule(schedule)
    schedule.updated_by = actor
    schedule.save()
    return schedule
