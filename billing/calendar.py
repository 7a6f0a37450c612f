"""The business calendar as billing uses it: splitting time, months in its time zone.

Pure arithmetic over ``sla.calendar.BusinessCalendar``; the site's calendar itself comes
from ``sla.services.current_calendar()``.
"""

import datetime
from dataclasses import dataclass

from sla.calendar import BusinessCalendar, NaiveDatetimeError

Window = tuple[datetime.datetime, datetime.datetime]
ZERO = datetime.timedelta(0)


@dataclass(frozen=True)
class Split:
    """A stretch of time cut by the calendar, in whole seconds."""

    business: int
    approved_ooh: int
    unapproved_ooh: int


def require_aware(*moments: datetime.datetime) -> None:
    """Naive datetimes are a bug: refuse them at the boundary."""
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise NaiveDatetimeError(moment)


def merge_windows(windows: list[Window]) -> list[Window]:
    """Overlapping or touching windows as one, so no time counts twice."""
    merged: list[Window] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlap(intervals: list[Window], windows: list[Window]) -> datetime.timedelta:
    """How much of the intervals lies inside the (merged) windows."""
    total = ZERO
    for a, b in intervals:
        for w0, w1 in windows:
            lo, hi = max(a, w0), min(b, w1)
            if hi > lo:
                total += hi - lo
    return total


def split_time(
    calendar: BusinessCalendar,
    start: datetime.datetime,
    end: datetime.datetime,
    windows: list[Window],
) -> Split:
    """Business time, and out-of-hours time inside and outside the approved windows."""
    require_aware(start, end)
    if end <= start:
        return Split(0, 0, 0)
    business = calendar.between(start, end)
    approved = overlap(calendar.outside_hours(start, end), merge_windows(windows))
    unapproved = (end - start) - business - approved
    return Split(_seconds(business), _seconds(approved), _seconds(unapproved))


def _seconds(delta: datetime.timedelta) -> int:
    return round(delta.total_seconds())


def month_of(moment: datetime.datetime, calendar: BusinessCalendar) -> datetime.date:
    """The first day of the month the moment falls in, in the calendar's time zone."""
    return moment.astimezone(calendar.tz).date().replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def previous_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def month_bounds(month: datetime.date, calendar: BusinessCalendar) -> Window:
    """[first midnight, next month's first midnight) of the month, in the calendar's zone."""
    tz = calendar.tz
    start = datetime.datetime.combine(month.replace(day=1), datetime.time(), tzinfo=tz)
    end = datetime.datetime.combine(next_month(month), datetime.time(), tzinfo=tz)
    return start, end


def first_business_day(calendar: BusinessCalendar, month: datetime.date) -> datetime.date:
    """The month's first day with business hours (11 January 2027 after the holidays)."""
    day = month.replace(day=1)
    while not calendar.is_business_day(day):
        day += datetime.timedelta(days=1)
        if day.month != month.month:
            raise ValueError(f"no business day in {month:%Y-%m}")
    return day


def today(calendar: BusinessCalendar, now: datetime.datetime) -> datetime.date:
    """'Today' for a rule: the date in the calendar's time zone, not the server's."""
    require_aware(now)
    return now.astimezone(calendar.tz).date()
