"""Monthly statements: generated, frozen, answered by the representative.

- A statement covers one organisation and one calendar month in the business calendar's
  time zone; a time entry belongs to the month in which it starts.
- Figures per ticket and in sum: business hours, out-of-hours hours approved (counted
  x2) and not approved (counted once, and flagged to the manager when logged), billable
  total = business + 2 x approved + unapproved, and the time logged as not billable.
  In hours: no rate, no money (the contract prices an hour).
- Generated on the first business day of the month for the month before, for every
  organisation with time logged in it; never twice (the unique row and a lock on the
  organisation). The representatives are mailed; they confirm or dispute it with a
  comment, and the managers are mailed. A disputed statement unfreezes its month so the
  contractor can correct the time, and a manager reissues it.
"""

import datetime
import logging
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from billing import mail, selectors
from billing.calendar import first_business_day, month_bounds, previous_month, today
from billing.models import Statement, StatementLine, StatementStatus, TimeEntry
from billing.services import time_entry_recompute
from core.errors import ActionRefused
from sla.services import current_calendar

logger = logging.getLogger(__name__)

FIGURES = (
    "business_seconds",
    "approved_ooh_seconds",
    "unapproved_ooh_seconds",
    "billable_seconds",
    "non_billable_seconds",
)
# What a reissue changes besides the figures.
REISSUED_FIELDS = (
    "status", "revision", "generated_at", "responded_by", "responded_at", "response_comment",
)


def _entries(organisation: Organisation, month: datetime.date, calendar):
    start, end = month_bounds(month, calendar)
    return (
        TimeEntry.objects.filter(
            ticket__organisation=organisation, started_at__gte=start, started_at__lt=end
        )
        .select_related("ticket")
        .order_by("ticket__number", "started_at", "id")
    )


def _entry_figures(entry: TimeEntry) -> dict[str, int]:
    if not entry.billable:
        free = int(entry.duration.total_seconds())
        return dict.fromkeys(FIGURES, 0) | {"non_billable_seconds": free}
    return {
        "business_seconds": entry.business_seconds,
        "approved_ooh_seconds": entry.approved_ooh_seconds,
        "unapproved_ooh_seconds": entry.unapproved_ooh_seconds,
        "billable_seconds": entry.billable_seconds,
        "non_billable_seconds": 0,
    }


def _lines(entries, calendar) -> list[StatementLine]:
    """One line per ticket, from entries re-split on today's calendar and windows."""
    by_ticket: dict[int, StatementLine] = {}
    windows: dict[int, list] = {}
    for entry in entries:
        ticket = entry.ticket
        if ticket.pk not in windows:
            windows[ticket.pk] = selectors.approved_windows(ticket)
        time_entry_recompute(entry=entry, windows=windows[ticket.pk], calendar=calendar)
        line = by_ticket.setdefault(
            ticket.pk,
            StatementLine(
                ticket=ticket, ticket_number=ticket.number, ticket_subject=ticket.subject,
                ticket_type=ticket.type, **dict.fromkeys(FIGURES, 0),
            ),
        )
        line.entries_count += 1
        for name, value in _entry_figures(entry).items():
            setattr(line, name, getattr(line, name) + value)
    return list(by_ticket.values())


def _freeze(statement: Statement, lines: list[StatementLine]) -> None:
    totals = defaultdict(int)
    for line in lines:
        line.statement = statement
        for name in FIGURES:
            totals[name] += getattr(line, name)
    statement.tickets_count = len(lines)
    for name in FIGURES:
        setattr(statement, name, totals[name])
    if statement.pk is None:
        statement.save()
    else:
        statement.save(update_fields=[*REISSUED_FIELDS, "tickets_count", *FIGURES])
    StatementLine.objects.bulk_create(lines)


def statement_generate(
    *, organisation: Organisation, month: datetime.date, calendar=None
) -> Statement | None:
    """The organisation's statement of the month, frozen now; None if it exists already or
    no time was logged."""
    calendar = calendar or current_calendar()
    month = month.replace(day=1)
    start, end = month_bounds(month, calendar)
    _check_finished(month, end)
    try:
        with transaction.atomic():
            Organisation.objects.select_for_update().get(pk=organisation.pk)
            if Statement.objects.filter(organisation=organisation, month=month).exists():
                return None
            entries = list(_entries(organisation, month, calendar).select_for_update(of=("self",)))
            if not entries:
                return None
            statement = Statement(
                organisation=organisation, month=month, period_start=start, period_end=end,
                time_zone=str(calendar.tz), generated_at=timezone.now(),
            )
            _freeze(statement, _lines(entries, calendar))
            mail.notify_statement_ready(statement)
    except IntegrityError:  # generated by a parallel run a moment ago
        return None
    logger.info("Statement %s generated for %s", statement.pk, organisation)
    return statement


def _check_finished(month: datetime.date, end: datetime.datetime) -> None:
    """Only a finished month is frozen: time may still be logged in the current one."""
    if timezone.now() < end:
        raise ActionRefused(
            _(
                "%(month)s is not over yet: only a finished month can be frozen into a "
                "statement (time may still be logged in it)."
            )
            % {"month": month.strftime("%Y-%m")},
            code="month_not_over",
        )


def statements_generate(*, month: datetime.date, calendar=None) -> list[Statement]:
    """Statements of the month for every organisation with time logged in it."""
    calendar = calendar or current_calendar()
    month = month.replace(day=1)
    start, end = month_bounds(month, calendar)
    _check_finished(month, end)
    organisations = Organisation.objects.filter(
        tickets__time_entries__started_at__gte=start, tickets__time_entries__started_at__lt=end
    ).distinct().order_by("pk")
    made = [
        statement_generate(organisation=o, month=month, calendar=calendar) for o in organisations
    ]
    return [statement for statement in made if statement is not None]


def monthly_statements_run(*, now: datetime.datetime | None = None) -> list[Statement]:
    """The periodic task: on the first business day of a month (today in the calendar's
    time zone), the previous month's statements; any other day nothing. Idempotent."""
    calendar = current_calendar()
    day = today(calendar, now or timezone.now())
    if day != first_business_day(calendar, day):
        return []
    return statements_generate(month=previous_month(day), calendar=calendar)


# --- the representative's answer, and a reissue ------------------------------------


def _locked_statement(statement: Statement) -> Statement:
    return Statement.objects.select_for_update().select_related("organisation").get(
        pk=statement.pk
    )


def _answer(statement: Statement, actor: User, status: str, comment: str) -> Statement:
    with transaction.atomic():
        locked = _locked_statement(statement)
        if not (actor.is_representative and actor.organisation_id == locked.organisation_id):
            raise ActionRefused(
                _("Only the organisation's representative answers its statement."),
                code="forbidden",
            )
        if locked.status != StatementStatus.ISSUED:
            raise ActionRefused(
                _("This statement is already “%(status)s”.")
                % {"status": locked.get_status_display()},
                code="answered",
            )
        locked.status = status
        locked.responded_by, locked.responded_at = actor, timezone.now()
        locked.response_comment = comment.strip()
        locked.save(update_fields=["status", "responded_by", "responded_at", "response_comment"])
        mail.notify_statement_answered(locked, actor=actor)
    statement.refresh_from_db()
    return locked


def statement_confirm(*, statement: Statement, actor: User, comment: str = "") -> Statement:
    """The representative confirms the month's figures."""
    return _answer(statement, actor, StatementStatus.CONFIRMED, comment)


def statement_dispute(*, statement: Statement, actor: User, comment: str) -> Statement:
    """The representative disputes the figures, saying what is wrong; the month's time can
    then be corrected and the statement reissued."""
    if not comment.strip():
        raise ActionRefused(_("Say what is wrong with the statement."), code="no_comment")
    return _answer(statement, actor, StatementStatus.DISPUTED, comment)


def statement_reissue(*, statement: Statement, actor: User) -> Statement:
    """A manager reissues a disputed statement from the corrected time; the
    representatives are mailed again."""
    if not actor.is_manager:
        raise ActionRefused(_("Only a manager reissues a statement."), code="forbidden")
    calendar = current_calendar()
    with transaction.atomic():
        locked = _locked_statement(statement)
        if locked.status != StatementStatus.DISPUTED:
            raise ActionRefused(_("Only a disputed statement is reissued."), code="not_disputed")
        locked.lines.all().delete()
        entries = list(_entries(locked.organisation, locked.month, calendar).select_for_update(
            of=("self",)
        ))
        locked.status = StatementStatus.ISSUED
        locked.revision += 1
        locked.generated_at = timezone.now()
        locked.responded_by, locked.responded_at, locked.response_comment = None, None, ""
        _freeze(locked, _lines(entries, calendar))
        mail.notify_statement_ready(locked)
    statement.refresh_from_db()
    return locked
