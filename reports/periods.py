"""Report periods: whole months in the business calendar's time zone.

A ticket belongs to the month it was filed in, as the contractor's calendar sees it:
a ticket filed at 01:00 on 1 December in Moscow is a December ticket, although it is
still 30 November in UTC.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def report_tz() -> ZoneInfo:
    return ZoneInfo(settings.SLA_CALENDAR_TIME_ZONE)


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def current_month(tz: ZoneInfo) -> datetime.date:
    return timezone.now().astimezone(tz).date().replace(day=1)


@dataclass(frozen=True)
class Period:
    """The months from ``first`` to ``last``, both included (first days of months)."""

    first: datetime.date
    last: datetime.date
    tz: ZoneInfo

    def __post_init__(self):
        if self.first.day != 1 or self.last.day != 1:
            raise ValueError("A report period runs from the first day of a month.")
        if self.last < self.first:
            raise ValueError("A report period cannot end before it starts.")

    @classmethod
    def last_months(cls, count: int, tz: ZoneInfo | None = None) -> "Period":
        """The ``count`` months up to and including the current one."""
        tz = tz or report_tz()
        last = current_month(tz)
        return cls(first=add_months(last, 1 - count), last=last, tz=tz)

    @property
    def start(self) -> datetime.datetime:
        return datetime.datetime.combine(self.first, datetime.time(), tzinfo=self.tz)

    @property
    def end(self) -> datetime.datetime:
        """The first moment after the period (exclusive bound)."""
        return datetime.datetime.combine(add_months(self.last, 1), datetime.time(), tzinfo=self.tz)

    def months(self) -> list[datetime.date]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month
        return [add_months(self.first, step) for step in range(count + 1)]

    def slug(self) -> str:
        return f"{self.first:%Y-%m}_{self.last:%Y-%m}"


def month_of(moment: datetime.datetime | datetime.date) -> datetime.date:
    """The first day of the month of a TruncMonth value (aware datetime or date)."""
    return datetime.date(moment.year, moment.month, 1)
