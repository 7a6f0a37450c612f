"""Properties of business-time arithmetic that hold for any moments and amounts.

Amounts are whole seconds or microseconds (never floats), so the identities are exact.
Moments are compared as instants (converted to UTC): two datetimes with the same
ZoneInfo compare by wall clock, which is wrong across a daylight-saving fold.
"""

import datetime
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import BusinessCalendar, Override, default_calendar

UTC = datetime.UTC
MOSCOW = ZoneInfo("Europe/Moscow")
US = datetime.timedelta(microseconds=1)
CAL = default_calendar()
# A calendar with daylight saving and business hours inside the spring gap and the
# autumn fold (Sundays 01:00-04:00), to keep the arithmetic honest about absolute time.
BERLIN = BusinessCalendar(
    tz="Europe/Berlin",
    country="DE",
    weekly_hours={0: ("08:00", "17:00"), 2: ("08:00", "17:00"), 6: ("01:00", "04:00")},
    overrides=[Override.hours(datetime.date(2026, 3, 28), "22:00", "24:00")],
)
CALENDARS = st.sampled_from([CAL, BERLIN])

# No example database: the suite leaves no .hypothesis directory behind.
fast = settings(max_examples=200, deadline=None, database=None)

ZONES = st.sampled_from(
    [
        MOSCOW,
        UTC,
        ZoneInfo("Europe/Berlin"),
        ZoneInfo("America/New_York"),
        datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
    ]
)
moments = st.datetimes(
    min_value=datetime.datetime(2025, 1, 1),
    max_value=datetime.datetime(2027, 12, 31, 23, 59),
    timezones=ZONES,
    allow_imaginary=False,
)
seconds = st.integers(min_value=0, max_value=2000 * 3600).map(
    lambda s: datetime.timedelta(seconds=s)
)
microseconds = st.integers(min_value=0, max_value=2000 * 3600 * 10**6).map(lambda u: u * US)
amounts = st.one_of(seconds, microseconds)


def utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(UTC)


@fast
@given(calendar=CALENDARS, moment=moments, amount=amounts)
def test_between_undoes_add_from_a_business_moment(calendar, moment, amount):
    start = calendar.next_business_moment(moment)
    assert calendar.between(start, calendar.add(start, amount)) == amount


@fast
@given(calendar=CALENDARS, start=moments, amount=amounts)
def test_between_undoes_add_from_any_moment(calendar, start, amount):
    assert calendar.between(start, calendar.add(start, amount)) == amount


@fast
@given(calendar=CALENDARS, start=moments, amount=amounts.filter(bool))
def test_add_returns_the_earliest_such_moment(calendar, start, amount):
    """The microsecond just before the result is business time still to be used."""
    end = calendar.add(start, amount)
    assert calendar.between(start, utc(end) - US) == amount - US


@fast
@given(start=moments, a=amounts, b=amounts)
def test_add_grows_with_the_amount(start, a, b):
    small, large = sorted([a, b])
    assert utc(CAL.add(start, small)) <= utc(CAL.add(start, large))


@fast
@given(calendar=CALENDARS, a=moments, b=moments, amount=amounts)
def test_add_grows_with_the_start(calendar, a, b, amount):
    early, late = sorted([a, b], key=utc)
    assert utc(calendar.add(early, amount)) <= utc(calendar.add(late, amount))


@fast
@given(calendar=CALENDARS, a=moments, b=moments, c=moments)
def test_between_is_additive(calendar, a, b, c):
    a, b, c = sorted([a, b, c], key=utc)
    assert calendar.between(a, b) + calendar.between(b, c) == calendar.between(a, c)
    assert calendar.between(c, a) == -calendar.between(a, c)


@fast
@given(calendar=CALENDARS, a=moments, b=moments)
def test_outside_hours_fill_the_rest_of_the_span(calendar, a, b):
    start, end = sorted([a, b], key=utc)
    gaps = calendar.outside_hours(start, end)
    total = sum((utc(y) - utc(x) for x, y in gaps), datetime.timedelta(0))
    assert total == calendar.outside_duration(start, end)
    assert total + calendar.between(start, end) == utc(end) - utc(start)
    bounds = [utc(start)] + [utc(t) for gap in gaps for t in gap] + [utc(end)]
    assert bounds == sorted(bounds)  # in order, disjoint, inside the span
    assert all(calendar.between(x, y) == datetime.timedelta(0) for x, y in gaps)


@fast
@given(moment=moments, amount=amounts)
def test_results_are_in_the_calendar_time_zone(moment, amount):
    for result in (CAL.add(moment, amount), CAL.next_business_moment(moment)):
        assert result.tzinfo == MOSCOW
        assert result.isoformat().endswith("+03:00")


def _reference_between(start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
    """Day by day, straight from the holidays package: slow but obviously right."""
    official = holidays.country_holidays("RU", years=range(2024, 2029))
    start, end = start.astimezone(MOSCOW), end.astimezone(MOSCOW)
    total, day = datetime.timedelta(0), start.date()
    while day <= end.date():
        if official.is_working_day(day):
            opens = datetime.datetime.combine(day, datetime.time(10), MOSCOW)
            closes = datetime.datetime.combine(day, datetime.time(19), MOSCOW)
            total += max(datetime.timedelta(0), min(end, closes) - max(start, opens))
        day += datetime.timedelta(days=1)
    return total


@fast
@given(start=moments, span=st.integers(min_value=0, max_value=90 * 24 * 3600))
def test_between_agrees_with_a_day_by_day_count(start, span):
    end = start + datetime.timedelta(seconds=span)
    assert CAL.between(start, end) == _reference_between(start, end)
