"""Business-time arithmetic on the contractor's calendar: pure, no database, no settings.

The product's rule: business hours are weekdays 10:00-19:00 in Europe/Moscow, off on
Saturdays, Sundays and official holidays (the Russian government's transferred days off
included), on on official working Saturdays, with the managers' overrides (an extra day
off, an extra working day, other hours on one date) on top.

How it is computed. Each local day of a year becomes at most one business interval
[start, end) in absolute time (a ``timedelta`` since the Unix epoch: exact to the
microsecond, and daylight-saving changes are already accounted for). The
intervals of the loaded years sit in flat lists, ``starts``, ``ends`` and ``cum``
(business time before each interval), so every operation is a couple of ``bisect``
calls: adding one hour and adding one year cost the same. Years are built
lazily, once, the first time a moment in them is asked about; the official days off
and working Saturdays of a country are fetched from ``holidays`` once per year and
cached for every calendar of that country.

Choices (the product leaves them open):
- Business hours are half-open: 10:00 is inside, 19:00 is not. A moment at 19:00 waits
  for 10:00 of the next business day, but an ``add`` that uses up the day exactly
  lands on 19:00, not on the next morning.
- ``add(moment, 0)`` is ``next_business_moment(moment)``: a ticket filed at night
  starts its clock at 10:00 of the next business day, and that is when zero business
  time has passed. Negative business time cannot be added (``ValueError``).
- ``between(start, end)`` is signed: when ``end`` is before ``start`` it is the
  negative of ``between(end, start)`` (a deadline already passed has negative time
  left), so ``between(a, b) + between(b, c) == between(a, c)`` for any a, b, c.
- An official working Saturday (``weekend_workdays`` in ``holidays``) and an extra
  working day without hours get the calendar's standard hours: the hours most of the
  week's working days have (10:00-19:00 by default).
- The shortened pre-holiday day of the Russian Labour Code (one hour less) is not in
  ``holidays``: a manager enters it as an override with other hours.
- Every result is an aware datetime in the calendar's time zone; naive datetimes are
  refused with ``NaiveDatetimeError``.
"""

import datetime as dt
import enum
import functools
import threading
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import holidays

DEFAULT_TZ = "Europe/Moscow"
DEFAULT_COUNTRY = "RU"
DEFAULT_HOURS = (dt.time(10), dt.time(19))
DEFAULT_WEEK = {weekday: DEFAULT_HOURS for weekday in range(5)}  # Monday-Friday

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ZERO = dt.timedelta(0)
ONE_US = dt.timedelta(microseconds=1)
DAY_SECONDS = 24 * 3600
# A calendar without business hours in this many years on is empty from there on.
LOOKAHEAD_YEARS = 20

Span = tuple[int, int]  # business hours of a day: seconds from local midnight, [start, end)
# An instant is the time since the epoch: exact, ordered, and what ``moment - EPOCH`` gives.
Instant = dt.timedelta


class NaiveDatetimeError(ValueError):
    """A moment without a time zone: business time cannot be computed from it."""

    def __init__(self, moment: dt.datetime):
        super().__init__(
            f"{moment.isoformat()} is a naive datetime; give a time zone "
            "(e.g. 2026-11-27T18:30+03:00)"
        )


class NoBusinessTimeError(ValueError):
    """The calendar has no business hours after the moment (every day is off)."""


class OverrideKind(enum.StrEnum):
    DAY_OFF = "day_off"
    WORKING_DAY = "working_day"
    HOURS = "hours"


@dataclass(frozen=True)
class Override:
    """A manager's exception for one date: a day off, a working day, or other hours.

    A working day without hours gets the weekday's hours, or the standard hours if the
    weekday is normally off (a Saturday). Hours are ``time`` objects or "HH:MM" text;
    an end of "24:00" means midnight at the end of the day.
    """

    day: dt.date
    kind: OverrideKind
    start: dt.time | str | None = None
    end: dt.time | str | None = None

    def __post_init__(self):
        object.__setattr__(self, "kind", OverrideKind(self.kind))
        if (self.start is None) != (self.end is None):
            raise ValueError(f"{self.day}: give both the start and the end of work, or neither")
        if self.kind == OverrideKind.HOURS and self.start is None:
            raise ValueError(f"{self.day}: other hours need a start and an end")
        if self.kind == OverrideKind.DAY_OFF and self.start is not None:
            raise ValueError(f"{self.day}: a day off has no hours")
        if self.start is not None:
            _span(self.start, self.end)  # validates

    @classmethod
    def day_off(cls, day: dt.date) -> "Override":
        return cls(day, OverrideKind.DAY_OFF)

    @classmethod
    def working_day(cls, day: dt.date, start=None, end=None) -> "Override":
        return cls(day, OverrideKind.WORKING_DAY, start, end)

    @classmethod
    def hours(cls, day: dt.date, start, end) -> "Override":
        return cls(day, OverrideKind.HOURS, start, end)

    @classmethod
    def coerce(cls, row) -> "Override":
        """An ``Override``, or a plain row ``(date, kind[, start, end])``."""
        return row if isinstance(row, cls) else cls(*row)


def _seconds(value: dt.time | str, *, is_end: bool = False) -> int:
    if isinstance(value, str):
        if is_end and value.strip() == "24:00":
            return DAY_SECONDS
        value = dt.time.fromisoformat(value.strip())
    if not isinstance(value, dt.time):
        raise TypeError(f"hours must be datetime.time or 'HH:MM', got {value!r}")
    if value.tzinfo is not None:
        raise ValueError(f"hours are local wall-clock times, got {value!r} with a time zone")
    return value.hour * 3600 + value.minute * 60 + value.second


def _span(start: dt.time | str, end: dt.time | str) -> Span:
    span = (_seconds(start), _seconds(end, is_end=True))
    if span[0] >= span[1]:
        raise ValueError(f"work must end after it starts: {start}-{end}")
    return span


@functools.lru_cache(maxsize=512)
def official_days(
    country: str | None, subdiv: str | None, categories: tuple[str, ...], year: int
) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(days off, working weekend days) of one year, as the ``holidays`` package has them.

    The days off include the transferred ones (31 December 2025, 9 January 2026); the
    working weekend days are the official working Saturdays (1 November 2025). A
    transfer may be declared in a neighbouring year's decree, hence three years.
    """
    if country is None:
        return frozenset(), frozenset()
    found = holidays.country_holidays(
        country, subdiv=subdiv, years=range(year - 1, year + 2), categories=categories
    )
    days_off = frozenset(day for day in found if day.year == year)
    workdays = frozenset(day for day in found.weekend_workdays if day.year == year)
    return days_off, workdays


@dataclass(frozen=True, slots=True)
class _Table:
    """Business intervals of the local years first..last."""

    first_year: int
    last_year: int
    lo: Instant  # local midnight starting 1 January of first_year
    hi: Instant  # local midnight ending 31 December of last_year
    starts: list[Instant]
    ends: list[Instant]
    cum: list[dt.timedelta]  # cum[i]: business time before interval i; cum[-1]: all of it
    # The start of each interval as a local datetime, to which a result inside it is added
    # by wall clock; None where that would be wrong (a clock change within the interval).
    opens: list[dt.datetime | None]

    def cum_at(self, t: Instant) -> dt.timedelta:
        """Business time from the table's start to instant t."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return ZERO
        end = self.ends[i]
        return self.cum[i] + ((t if t < end else end) - self.starts[i])


class BusinessCalendar:
    """Business hours of one contractor: a time zone, a week, official holidays, overrides.

    ``weekly_hours`` maps a weekday (0 = Monday) to its (start, end) hours; a weekday
    that is not there (or maps to None) is off. ``country=None`` ignores official
    holidays. ``overrides`` are ``Override`` objects or rows ``(date, kind, start, end)``.
    """

    def __init__(
        self,
        *,
        tz: str | dt.tzinfo = DEFAULT_TZ,
        weekly_hours: Mapping[int, tuple | None] | None = None,
        country: str | None = DEFAULT_COUNTRY,
        subdiv: str | None = None,
        categories: Iterable[str] = ("public",),
        overrides: Iterable = (),
        standard_hours: tuple | None = None,
    ):
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.country, self.subdiv = country, subdiv
        self.categories = tuple(sorted(categories))
        self._week = _week(DEFAULT_WEEK if weekly_hours is None else weekly_hours)
        self._standard = _span(*standard_hours) if standard_hours else _standard(self._week)
        self._overrides = self._resolve(overrides)
        self._years: dict[int, list[tuple[Instant, Instant, dt.datetime | None]]] = {}
        self._table: _Table | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.tz} {self.country} {len(self._overrides)} overrides>"

    # --- public operations -------------------------------------------------------

    def add(self, moment: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        """The earliest moment at which `delta` of business time has passed since `moment`."""
        # The hot path of every SLA deadline: helpers are inlined (about 1 µs a call).
        try:
            t = moment - EPOCH
        except TypeError:
            raise self._refusal(moment) from None
        if not isinstance(delta, dt.timedelta) or delta.days < 0:
            raise _bad_amount(delta)
        if not delta:
            return self.next_business_moment(moment)
        table = self._table
        if table is None or not table.lo <= t < table.hi:
            table = self._covering(t, t)
        while (target := table.cum_at(t) + delta) > table.cum[-1]:
            table = self._extend(table, t, target - table.cum[-1])
        j = bisect_left(table.cum, target) - 1  # exact end of a day: that day's end
        if (opening := table.opens[j]) is not None:
            return opening + (target - table.cum[j])
        return self._moment(table.starts[j] + (target - table.cum[j]))

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Business time from `start` to `end`; negative when `end` is before `start`."""
        try:
            a, b = start - EPOCH, end - EPOCH
        except TypeError:
            raise self._refusal(start, end) from None
        table = self._table
        if table is None or not (table.lo <= a < table.hi and table.lo <= b < table.hi):
            table = self._covering(min(a, b), max(a, b))
        return table.cum_at(b) - table.cum_at(a)

    def next_business_moment(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself inside business hours, else the start of the next business period."""
        t = self._instant(moment)
        table = self._covering(t, t)
        while True:
            i = bisect_right(table.starts, t) - 1
            if i >= 0 and t < table.ends[i]:
                return moment.astimezone(self.tz)
            if i + 1 < len(table.starts):
                return table.opens[i + 1] or self._moment(table.starts[i + 1])
            table = self._extend(table, t, ONE_US)

    def outside_hours(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[dt.datetime, dt.datetime]]:
        """The parts of [start, end) outside business hours, in order ([] if end <= start)."""
        a, b = self._instant(start), self._instant(end)
        if b <= a:
            return []
        table = self._covering(a, b)
        gaps, cursor = [], a
        i = bisect_right(table.ends, a)  # the first interval still open after a
        while i < len(table.starts) and table.starts[i] < b:
            if table.starts[i] > cursor:
                gaps.append((cursor, table.starts[i]))
            cursor = max(cursor, table.ends[i])
            i += 1
        if cursor < b:
            gaps.append((cursor, b))
        return [(self._moment(x), self._moment(y)) for x, y in gaps]

    def outside_duration(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """How much of [start, end) is outside business hours (zero if end <= start)."""
        a, b = self._instant(start), self._instant(end)
        if b <= a:
            return ZERO
        return (b - a) - self.between(start, end)

    @property
    def standard_day(self) -> dt.timedelta:
        """The business time of a standard working day (9 hours by default): what "N
        business days" means for rules such as auto-closing."""
        start, end = self._standard
        return dt.timedelta(seconds=end - start)

    def hours_on(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The business hours of one local date, or None on a day off."""
        span = self._day_span(day)
        if span is None:
            return None
        return self._moment(self._local(day, span[0])), self._moment(self._local(day, span[1]))

    def is_business_day(self, day: dt.date) -> bool:
        return self._day_span(day) is not None

    # --- the rule for one day ----------------------------------------------------

    def _resolve(self, overrides: Iterable) -> dict[dt.date, Span | None]:
        resolved: dict[dt.date, Span | None] = {}
        for override in map(Override.coerce, overrides):
            if override.day in resolved:
                raise ValueError(f"two overrides for {override.day}")
            if override.kind == OverrideKind.DAY_OFF:
                resolved[override.day] = None
            elif override.start is not None:
                resolved[override.day] = _span(override.start, override.end)
            else:
                resolved[override.day] = self._week[override.day.weekday()] or self._standard
        return resolved

    def _day_span(self, day: dt.date) -> Span | None:
        """Overrides first, then official days off, official working weekend days, the week."""
        if day in self._overrides:
            return self._overrides[day]
        days_off, workdays = official_days(self.country, self.subdiv, self.categories, day.year)
        if day in days_off:
            return None
        if day in workdays:
            return self._week[day.weekday()] or self._standard
        return self._week[day.weekday()]

    # --- the table of intervals --------------------------------------------------

    def _covering(self, a: Instant, b: Instant) -> _Table:
        """A table that holds the local years of instants a and b (and all between)."""
        table = self._table
        if table is not None and table.lo <= a and b < table.hi:
            return table
        return self._load(self._year_of(a), self._year_of(b))

    def _extend(self, table: _Table, t: Instant, missing: dt.timedelta) -> _Table:
        """A table reaching far enough past its end to hold `missing` more business time."""
        year = self._year_of(t)
        if table.last_year - year >= LOOKAHEAD_YEARS:
            recent = self._local(dt.date(table.last_year - LOOKAHEAD_YEARS + 1, 1, 1), 0)
            if table.cum_at(recent) == table.cum[-1]:
                raise NoBusinessTimeError(
                    f"no business hours in {LOOKAHEAD_YEARS} years, up to {table.last_year}"
                )
        per_year = table.cum[-1] // (table.last_year - table.first_year + 1)
        years = missing // per_year + 1 if per_year else 1
        last = table.last_year + years
        if last > dt.MAXYEAR:
            raise OverflowError("the business time runs past the year 9999")
        return self._load(year, last)

    def _load(self, first: int, last: int) -> _Table:
        with self._lock:
            table = self._table
            if table is not None:
                if table.first_year <= first and last <= table.last_year:
                    return table
                first, last = min(first, table.first_year), max(last, table.last_year)
            starts, ends, cum, opens = [], [], [ZERO], []
            for year in range(first, last + 1):
                for start, end, opening in self._year(year):
                    starts.append(start)
                    ends.append(end)
                    cum.append(cum[-1] + end - start)
                    opens.append(opening)
            lo = self._local(dt.date(first, 1, 1), 0)
            hi = self._local(dt.date(last, 12, 31), DAY_SECONDS)
            self._table = _Table(first, last, lo, hi, starts, ends, cum, opens)
            return self._table

    def _year(self, year: int) -> list[tuple[Instant, Instant, dt.datetime | None]]:
        """The business intervals of one local year (built once; about 250 of them)."""
        if year not in self._years:
            intervals, day = [], dt.date(year, 1, 1)
            while day.year == year:
                span = self._day_span(day)
                if span is not None:
                    start, end = self._local(day, span[0]), self._local(day, span[1])
                    if end > start:  # a daylight-saving jump can swallow short hours
                        intervals.append((start, end, self._opening(start, end)))
                day += dt.timedelta(days=1)
            self._years[year] = intervals
        return self._years[year]

    def _opening(self, start: Instant, end: Instant) -> dt.datetime | None:
        """The interval's start in local time, if wall-clock addition is exact inside it."""
        opening, closing = self._moment(start), self._moment(end)
        if opening.fold or opening.utcoffset() != closing.utcoffset():
            return None
        return opening

    # --- instants ----------------------------------------------------------------

    def _local(self, day: dt.date, seconds: int) -> Instant:
        """The instant of a local wall-clock time (seconds after midnight of `day`)."""
        wall = dt.datetime.combine(day, dt.time(), tzinfo=self.tz) + dt.timedelta(seconds=seconds)
        return wall - EPOCH

    def _instant(self, moment: dt.datetime) -> Instant:
        try:
            return moment - EPOCH  # a naive moment minus an aware one is a TypeError
        except TypeError:
            raise self._refusal(moment) from None

    @staticmethod
    def _refusal(*moments) -> Exception:
        for moment in moments:
            if not isinstance(moment, dt.datetime):
                return TypeError(f"expected an aware datetime, got {moment!r}")
            if moment.utcoffset() is None:
                return NaiveDatetimeError(moment)
        return TypeError(f"expected aware datetimes, got {moments!r}")

    def _moment(self, t: Instant) -> dt.datetime:
        return (EPOCH + t).astimezone(self.tz)

    def _year_of(self, t: Instant) -> int:
        return self._moment(t).year


def _bad_amount(delta) -> Exception:
    if not isinstance(delta, dt.timedelta):
        return TypeError(f"business time must be a timedelta, got {delta!r}")
    return ValueError(f"business time to add cannot be negative: {delta}")


def _week(weekly_hours: Mapping[int, tuple | None]) -> tuple[Span | None, ...]:
    week: list[Span | None] = [None] * 7
    for weekday, hours in weekly_hours.items():
        if weekday not in range(7):
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), got {weekday!r}")
        week[weekday] = _span(*hours) if hours else None
    return tuple(week)


def _standard(week: tuple[Span | None, ...]) -> Span:
    """The hours most working weekdays have (the earliest weekday's on a tie)."""
    counts = Counter(span for span in week if span is not None)
    return counts.most_common(1)[0][0] if counts else _span(*DEFAULT_HOURS)


@functools.lru_cache(maxsize=1)
def _shared_default() -> BusinessCalendar:
    return BusinessCalendar()


def default_calendar(**options) -> BusinessCalendar:
    """The product's calendar (RU holidays, Europe/Moscow, Mon-Fri 10:00-19:00), no Django.

    Keyword options are passed to ``BusinessCalendar`` (``overrides=[...]``, ``tz=...``).
    Without options one shared instance is returned, so its built years are reused.
    """
    return BusinessCalendar(**options) if options else _shared_default()


def calendar_from_settings(overrides: Iterable = ()) -> BusinessCalendar:
    """The site's calendar: its shape from Django settings, the managers' override rows.

    Settings (all optional): ``SLA_CALENDAR_TIME_ZONE``, ``SLA_CALENDAR_COUNTRY``,
    ``SLA_CALENDAR_WEEKLY_HOURS`` ({weekday: ("10:00", "19:00")}). Django is read here
    only, never inside the arithmetic.
    """
    from django.conf import settings

    return BusinessCalendar(
        tz=getattr(settings, "SLA_CALENDAR_TIME_ZONE", DEFAULT_TZ),
        country=getattr(settings, "SLA_CALENDAR_COUNTRY", DEFAULT_COUNTRY),
        weekly_hours=getattr(settings, "SLA_CALENDAR_WEEKLY_HOURS", None),
        overrides=overrides,
    )
