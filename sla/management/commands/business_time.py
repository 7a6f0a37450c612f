"""Business-time arithmetic on the SLA calendar, from the command line.

    python manage.py business_time add 2026-11-27T18:30+03:00 1      -> 2026-11-30T10:30:00+03:00
    python manage.py business_time between 2026-11-27T10:00+03:00 2026-11-27T15:00+03:00 -> 5.00

Moments are ISO 8601 with a time zone; answers are in the calendar's time zone. Bad
input ends with a message on stderr and exit status 2.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from sla.calendar import BusinessCalendar, default_calendar

US_PER_HOUR = 3_600_000_000
OPERATIONS = ("add", "between")


def command_calendar() -> BusinessCalendar:
    """The site's calendar (settings plus the managers' overrides); the product's default
    when the database cannot be read (e.g. a script on a machine without it)."""
    from django.db import DatabaseError

    from sla.services import current_calendar

    try:
        return current_calendar()
    except DatabaseError:
        return default_calendar()


def _bad(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def parse_moment(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise _bad(f"{text!r} is not an ISO 8601 date and time (e.g. 2026-11-27T18:30+03:00)")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _bad(f"{text} has no time zone; give one (e.g. 2026-11-27T18:30+03:00)")
    return moment


def parse_hours(text: str) -> datetime.timedelta:
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise _bad(f"{text!r} is not a number of hours (e.g. 1 or 1.5)")
    if not hours.is_finite() or hours < 0:
        raise _bad(f"{text!r}: the hours must be a number zero or above")
    micro = (hours * US_PER_HOUR).to_integral_value(rounding=ROUND_HALF_UP)
    try:
        return datetime.timedelta(microseconds=int(micro))
    except OverflowError:
        raise _bad(f"{text!r}: too many hours")


def format_hours(delta: datetime.timedelta) -> str:
    hours = Decimal(delta // datetime.timedelta(microseconds=1)) / US_PER_HOUR
    return str(hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class Command(BaseCommand):
    help = (
        "Business-time arithmetic on the SLA calendar. "
        "'add MOMENT HOURS' prints the moment that many business hours later; "
        "'between START END' prints the business hours between two moments."
    )

    requires_system_checks = []  # pure arithmetic: nothing to check, no database

    def add_arguments(self, parser):
        parser.add_argument("operation", metavar="{add,between}", help="add or between")
        parser.add_argument("moment", help="ISO 8601 with a time zone, e.g. 2026-11-27T18:30+03:00")
        parser.add_argument(
            "other",
            metavar="hours|end",
            help="add: business hours (1.5); between: the end moment (ISO 8601)",
        )

    def handle(self, *args, operation, moment, other, **options):
        if operation not in OPERATIONS:
            raise _bad(f"unknown operation {operation!r}; use one of: {', '.join(OPERATIONS)}")
        calendar = command_calendar()
        try:
            if operation == "add":
                result = calendar.add(parse_moment(moment), parse_hours(other)).isoformat()
            else:
                result = format_hours(calendar.between(parse_moment(moment), parse_moment(other)))
        except (ValueError, OverflowError) as exc:  # e.g. past the year 9999
            raise _bad(str(exc))
        self.stdout.write(result)
