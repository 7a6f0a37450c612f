"""The business calendar against hand-checked cases of the Russian production calendar.

Every expected value below was worked out by hand from the official calendar
(consultant.ru "Производственный календарь") and agrees with what the ``holidays``
package has for RU: 2025: 1-8 Jan, 1-4 May, 8-11 May, 12-15 June, 2-4 Nov and 31 Dec
off, Saturday 1 Nov a working day; 2026: 1-11 Jan (9 Jan transferred), 21-23 Feb,
7-9 Mar, 1-3 May, 9-11 May, 12-14 June, 4 Nov, 31 Dec off, no working Saturday;
2027 (as the package has it): 1-10 Jan, 20 Feb a working Saturday, 22-23 Feb, 8 Mar,
1-3 May, 8-10 May, 12-14 June, 4-5 Nov, 31 Dec off. Hours are 10:00-19:00 Moscow time
(UTC+3 all year), so a full day is 9 business hours.
"""

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sla.calendar import (
    BusinessCalendar,
    NaiveDatetimeError,
    NoBusinessTimeError,
    Override,
    calendar_from_settings,
    default_calendar,
    official_days,
)

ROOT = Path(__file__).resolve().parent.parent
CAL = default_calendar()
D = datetime.date


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def hours(value: float) -> datetime.timedelta:
    return datetime.timedelta(hours=value)


def msk(text: str) -> str:
    """An expected result: Moscow wall-clock time, printed as the calendar prints it."""
    return at(text + "+03:00").isoformat()


ADD_CASES = [
    # (case, start, business time, expected moment in Moscow)
    # the working week
    ("friday evening into monday", "2026-11-27T18:30+03:00", hours(1), "2026-11-30T10:30"),
    ("friday at closing time", "2026-11-27T19:00+03:00", hours(1), "2026-11-30T11:00"),
    ("filed at night", "2026-11-24T02:00+03:00", hours(1), "2026-11-24T11:00"),
    ("filed after hours", "2026-11-24T21:00+03:00", hours(1), "2026-11-25T11:00"),
    ("filed on a saturday", "2026-11-28T12:00+03:00", hours(1), "2026-11-30T11:00"),
    ("filed late on a sunday", "2026-11-29T23:59+03:00", hours(8), "2026-11-30T18:00"),
    # exact boundaries
    (
        "a full day ends at 19:00, not next morning",
        "2026-11-30T10:00+03:00",
        hours(9),
        "2026-11-30T19:00",
    ),
    ("zero at 10:00 is 10:00", "2026-11-30T10:00+03:00", hours(0), "2026-11-30T10:00"),
    ("zero just before opening", "2026-11-30T09:59:59+03:00", hours(0), "2026-11-30T10:00"),
    ("zero at 19:00 waits for the morning", "2026-11-30T19:00+03:00", hours(0), "2026-12-01T10:00"),
    ("one hour from 19:00", "2026-11-30T19:00+03:00", hours(1), "2026-12-01T11:00"),
    (
        "last minute of the day",
        "2026-11-30T18:59+03:00",
        datetime.timedelta(minutes=1),
        "2026-11-30T19:00",
    ),
    (
        "last microsecond of the day",
        "2026-11-30T18:59:59.999999+03:00",
        datetime.timedelta(microseconds=1),
        "2026-11-30T19:00",
    ),
    ("one second", "2026-11-30T10:00+03:00", datetime.timedelta(seconds=1), "2026-11-30T10:00:01"),
    # fractional hours
    ("an hour and a half", "2026-11-30T10:00+03:00", hours(1.5), "2026-11-30T11:30"),
    ("a quarter hour up to closing", "2026-11-30T18:45+03:00", hours(0.25), "2026-11-30T19:00"),
    (
        "twenty minutes across the night",
        "2026-11-30T18:45+03:00",
        datetime.timedelta(minutes=20),
        "2026-12-01T10:05",
    ),
    # the default SLA targets from monday morning
    ("high resolution, 24 h", "2026-11-30T10:00+03:00", hours(24), "2026-12-02T16:00"),
    ("normal resolution, 40 h", "2026-11-30T10:00+03:00", hours(40), "2026-12-04T14:00"),
    ("low resolution, 80 h", "2026-11-30T10:00+03:00", hours(80), "2026-12-10T18:00"),
    # official holidays of 2026
    ("on unity day", "2026-11-04T12:00+03:00", hours(1), "2026-11-05T11:00"),
    ("over unity day", "2026-11-03T18:00+03:00", hours(2), "2026-11-05T11:00"),
    ("over defender of the fatherland day", "2026-02-20T18:00+03:00", hours(2), "2026-02-24T11:00"),
    (
        "8 march on a sunday moves to monday 9",
        "2026-03-06T18:00+03:00",
        hours(2),
        "2026-03-10T11:00",
    ),
    (
        "9 may on a saturday moves to monday 11",
        "2026-05-08T18:00+03:00",
        hours(2),
        "2026-05-12T11:00",
    ),
    ("over russia day", "2026-06-11T18:00+03:00", hours(2), "2026-06-15T11:00"),
    # 2025 holidays and transfers
    ("the first working day of 2025", "2025-01-01T00:00+03:00", hours(1), "2025-01-09T11:00"),
    ("over 1-4 may 2025", "2025-04-30T18:00+03:00", hours(2), "2025-05-05T11:00"),
    ("8 may 2025 transferred from 23 feb", "2025-05-07T18:00+03:00", hours(2), "2025-05-12T11:00"),
    (
        "13 june 2025 transferred from 8 march",
        "2025-06-11T18:00+03:00",
        hours(2),
        "2025-06-16T11:00",
    ),
    # new year holidays
    ("across new year 2026", "2025-12-30T18:00+03:00", hours(4), "2026-01-12T13:00"),
    (
        "31 december 2025 is a transferred day off",
        "2025-12-31T12:00+03:00",
        hours(1),
        "2026-01-12T11:00",
    ),
    ("filed during the new year holidays", "2026-01-05T12:00+03:00", hours(1), "2026-01-12T11:00"),
    (
        "9 january 2026 is a transferred day off",
        "2026-01-09T10:00+03:00",
        hours(9),
        "2026-01-12T19:00",
    ),
    ("across new year 2027", "2026-12-30T18:00+03:00", hours(2), "2027-01-11T11:00"),
    ("across new year 2028", "2027-12-30T18:00+03:00", hours(2), "2028-01-10T11:00"),
    # official working saturdays
    (
        "friday into the working saturday 1 november 2025",
        "2025-10-31T18:00+03:00",
        hours(2),
        "2025-11-01T11:00",
    ),
    (
        "working saturday over 2-4 november 2025",
        "2025-11-01T18:00+03:00",
        hours(2),
        "2025-11-05T11:00",
    ),
    ("the working saturday opens at 10:00", "2025-11-01T09:00+03:00", hours(0), "2025-11-01T10:00"),
    (
        "friday into the working saturday 20 february 2027",
        "2027-02-19T18:00+03:00",
        hours(2),
        "2027-02-20T11:00",
    ),
    (
        "working saturday over 22-23 february 2027",
        "2027-02-20T18:00+03:00",
        hours(2),
        "2027-02-24T11:00",
    ),
    (
        "5 november 2027 transferred from 2 january",
        "2027-11-03T18:00+03:00",
        hours(2),
        "2027-11-08T11:00",
    ),
    # spans of months and a year
    (
        "the working days of january 2026 (15)",
        "2026-01-12T10:00+03:00",
        hours(15 * 9),
        "2026-01-30T19:00",
    ),
    (
        "january to march 2026 (15 + 19 + 21 days)",
        "2026-01-12T10:00+03:00",
        hours(55 * 9),
        "2026-03-31T19:00",
    ),
    (
        "all of 2025 (247 days) ends on 30 december",
        "2025-01-01T00:00+03:00",
        hours(247 * 9),
        "2025-12-30T19:00",
    ),
    # instants given in other offsets
    ("UTC", "2026-11-27T15:30Z", hours(1), "2026-11-30T10:30"),
    ("UTC+1", "2026-11-27T16:30+01:00", hours(1), "2026-11-30T10:30"),
    ("UTC+8, already saturday there", "2026-11-27T23:30+08:00", hours(1), "2026-11-30T10:30"),
    ("UTC-4", "2026-11-27T11:30-04:00", hours(1), "2026-11-30T10:30"),
    (
        "UTC sunday evening is monday night in moscow",
        "2026-11-29T21:30Z",
        hours(1),
        "2026-11-30T11:00",
    ),
    ("a whole day given in UTC", "2026-11-30T07:00Z", hours(9), "2026-11-30T19:00"),
]


@pytest.mark.parametrize(
    ("start", "delta", "expected"), [case[1:] for case in ADD_CASES], ids=[c[0] for c in ADD_CASES]
)
def test_add_lands_on_the_hand_checked_moment(start, delta, expected):
    result = CAL.add(at(start), delta)
    assert result.isoformat() == msk(expected)


BETWEEN_CASES = [
    # (case, start, end, business hours)
    ("friday evening to monday morning", "2026-11-27T18:30+03:00", "2026-11-30T10:30+03:00", 1),
    ("across the new year holidays", "2025-12-30T10:00+03:00", "2026-01-12T10:00+03:00", 9),
    ("a whole monday", "2026-11-30T00:00+03:00", "2026-11-30T23:59+03:00", 9),
    ("a whole saturday", "2026-11-28T00:00+03:00", "2026-11-29T00:00+03:00", 0),
    ("the working saturday 1 november 2025", "2025-11-01T00:00+03:00", "2025-11-02T00:00+03:00", 9),
    (
        "two weeks around 1-4 november 2025 (9 days)",
        "2025-10-27T00:00+03:00",
        "2025-11-08T00:00+03:00",
        81,
    ),
    ("january 2026: 15 days", "2026-01-01T00:00+03:00", "2026-02-01T00:00+03:00", 135),
    ("february 2026: 19 days", "2026-02-01T00:00+03:00", "2026-03-01T00:00+03:00", 171),
    ("march 2026: 21 days", "2026-03-01T00:00+03:00", "2026-04-01T00:00+03:00", 189),
    ("may 2025: 18 days", "2025-05-01T00:00+03:00", "2025-06-01T00:00+03:00", 162),
    (
        "november 2025: 19 days with the saturday",
        "2025-11-01T00:00+03:00",
        "2025-12-01T00:00+03:00",
        171,
    ),
    ("december 2025: 22 days", "2025-12-01T00:00+03:00", "2026-01-01T00:00+03:00", 198),
    (
        "february 2027: 19 days with the saturday",
        "2027-02-01T00:00+03:00",
        "2027-03-01T00:00+03:00",
        171,
    ),
    ("the year 2025: 247 days", "2025-01-01T00:00+03:00", "2026-01-01T00:00+03:00", 2223),
    ("the year 2026: 247 days", "2026-01-01T00:00+03:00", "2027-01-01T00:00+03:00", 2223),
    ("the year 2027: 247 days", "2027-01-01T00:00+03:00", "2028-01-01T00:00+03:00", 2223),
    ("given in UTC", "2026-11-30T07:00Z", "2026-11-30T16:00Z", 9),
    ("same moment", "2026-11-30T12:00+03:00", "2026-11-30T12:00+03:00", 0),
    ("end before start is negative", "2026-11-30T11:00+03:00", "2026-11-30T10:00+03:00", -1),
]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [case[1:] for case in BETWEEN_CASES],
    ids=[c[0] for c in BETWEEN_CASES],
)
def test_between_counts_the_hand_checked_business_hours(start, end, expected):
    assert CAL.between(at(start), at(end)) == hours(expected)


def test_the_holidays_package_knows_the_transfers_and_working_saturdays():
    days_off_2025, workdays_2025 = official_days("RU", None, ("public",), 2025)
    days_off_2026, workdays_2026 = official_days("RU", None, ("public",), 2026)
    assert D(2025, 11, 1) in workdays_2025
    assert {D(2025, 12, 31), D(2025, 11, 3)} <= days_off_2025
    assert D(2026, 1, 9) in days_off_2026
    assert workdays_2026 == frozenset()


def test_next_business_moment():
    assert CAL.next_business_moment(at("2026-11-30T12:00Z")).isoformat() == msk("2026-11-30T15:00")
    assert CAL.next_business_moment(at("2026-11-27T19:00+03:00")).isoformat() == msk(
        "2026-11-30T10:00"
    )
    assert CAL.next_business_moment(at("2025-12-30T19:00+03:00")).isoformat() == msk(
        "2026-01-12T10:00"
    )
    assert CAL.next_business_moment(at("2025-10-31T19:00+03:00")).isoformat() == msk(
        "2025-11-01T10:00"
    )


def _iso_pairs(intervals):
    return [(start.isoformat(), end.isoformat()) for start, end in intervals]


OUTSIDE_CASES = [
    # (case, start, end, outside intervals (Moscow), outside hours)
    (
        "friday evening to monday",
        "2026-11-27T18:00+03:00",
        "2026-11-30T11:00+03:00",
        [("2026-11-27T19:00", "2026-11-30T10:00")],
        63,
    ),
    (
        "early and late on one day",
        "2026-11-30T08:00+03:00",
        "2026-11-30T20:00+03:00",
        [("2026-11-30T08:00", "2026-11-30T10:00"), ("2026-11-30T19:00", "2026-11-30T20:00")],
        3,
    ),
    ("inside business hours", "2026-11-30T11:00+03:00", "2026-11-30T12:00+03:00", [], 0),
    (
        "a saturday",
        "2026-11-28T10:00+03:00",
        "2026-11-28T12:00+03:00",
        [("2026-11-28T10:00", "2026-11-28T12:00")],
        2,
    ),
    (
        "over unity day, given in UTC",
        "2026-11-03T15:00Z",
        "2026-11-05T08:00Z",
        [("2026-11-03T19:00", "2026-11-05T10:00")],
        39,
    ),
    ("end before start", "2026-11-30T12:00+03:00", "2026-11-30T08:00+03:00", [], 0),
]


@pytest.mark.parametrize(
    ("start", "end", "expected", "total"),
    [case[1:] for case in OUTSIDE_CASES],
    ids=[c[0] for c in OUTSIDE_CASES],
)
def test_outside_hours_are_the_gaps_between_business_hours(start, end, expected, total):
    gaps = CAL.outside_hours(at(start), at(end))
    assert _iso_pairs(gaps) == [(msk(a), msk(b)) for a, b in expected]
    assert CAL.outside_duration(at(start), at(end)) == hours(total)


# --- the managers' overrides -------------------------------------------------------

OVERRIDE_CASES = [
    # (case, overrides, start, business time, expected moment in Moscow)
    (
        "an extra day off on a tuesday",
        [Override.day_off(D(2026, 12, 1))],
        "2026-11-30T18:00+03:00",
        hours(2),
        "2026-12-02T11:00",
    ),
    (
        "an extra working saturday with the normal hours",
        [Override.working_day(D(2026, 12, 5))],
        "2026-12-04T18:00+03:00",
        hours(2),
        "2026-12-05T11:00",
    ),
    (
        "an extra working saturday 12:00-16:00, used up exactly",
        [Override.working_day(D(2026, 12, 5), "12:00", "16:00")],
        "2026-12-04T18:00+03:00",
        hours(5),
        "2026-12-05T16:00",
    ),
    (
        "an extra working saturday 12:00-16:00, into monday",
        [Override.working_day(D(2026, 12, 5), datetime.time(12), datetime.time(16))],
        "2026-12-04T18:00+03:00",
        hours(6),
        "2026-12-07T11:00",
    ),
    (
        "a shortened pre-holiday day 10:00-18:00",
        [Override.hours(D(2026, 12, 30), "10:00", "18:00")],
        "2026-12-30T17:00+03:00",
        hours(1),
        "2026-12-30T18:00",
    ),
    (
        "a shortened pre-holiday day, then the new year",
        [Override.hours(D(2026, 12, 30), "10:00", "18:00")],
        "2026-12-30T17:00+03:00",
        hours(2),
        "2027-01-11T11:00",
    ),
    (
        "a holiday made a working day",
        [Override.working_day(D(2026, 1, 9))],
        "2026-01-08T12:00+03:00",
        hours(1),
        "2026-01-09T11:00",
    ),
    (
        "the official working saturday made a day off",
        [Override.day_off(D(2025, 11, 1))],
        "2025-10-31T18:00+03:00",
        hours(2),
        "2025-11-05T11:00",
    ),
    (
        "an evening shift up to midnight",
        [Override.hours(D(2026, 12, 5), "20:00", "24:00")],
        "2026-12-05T23:00+03:00",
        hours(1),
        "2026-12-06T00:00",
    ),
    (
        "an override given as a plain row",
        [(D(2026, 12, 1), "day_off", None, None)],
        "2026-11-30T18:00+03:00",
        hours(2),
        "2026-12-02T11:00",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "start", "delta", "expected"),
    [case[1:] for case in OVERRIDE_CASES],
    ids=[c[0] for c in OVERRIDE_CASES],
)
def test_overrides_change_the_calendar(overrides, start, delta, expected):
    calendar = default_calendar(overrides=overrides)
    assert calendar.add(at(start), delta).isoformat() == msk(expected)
    assert calendar.between(at(start), at(expected + "+03:00")) == delta


def test_overrides_leave_the_shared_default_calendar_alone():
    default_calendar(overrides=[Override.day_off(D(2026, 12, 1))])
    assert default_calendar().is_business_day(D(2026, 12, 1))


def test_hours_on_a_date():
    opens, closes = at("2025-11-01T10:00+03:00"), at("2025-11-01T19:00+03:00")
    assert CAL.hours_on(D(2025, 11, 1)) == (opens, closes)
    assert CAL.hours_on(D(2025, 12, 31)) is None
    shortened = default_calendar(overrides=[Override.hours(D(2026, 12, 30), "10:00", "18:00")])
    assert shortened.hours_on(D(2026, 12, 30))[1] == at("2026-12-30T18:00+03:00")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Override(D(2026, 12, 5), "hours"),
        lambda: Override.hours(D(2026, 12, 5), "18:00", "10:00"),
        lambda: Override.working_day(D(2026, 12, 5), "10:00", None),
        lambda: Override(D(2026, 12, 5), "day_off", "10:00", "19:00"),
        lambda: Override(D(2026, 12, 5), "holiday"),
        lambda: BusinessCalendar(overrides=[Override.day_off(D(2026, 12, 5))] * 2),
        lambda: BusinessCalendar(weekly_hours={7: ("10:00", "19:00")}),
    ],
    ids=[
        "hours without hours",
        "end before start",
        "half the hours",
        "day off with hours",
        "unknown kind",
        "two overrides on a date",
        "weekday 7",
    ],
)
def test_a_malformed_calendar_is_refused(make):
    with pytest.raises(ValueError):
        make()


def test_a_per_weekday_week():
    week = {0: ("09:00", "18:00"), 4: ("10:00", "16:00")}  # Mondays and short Fridays only
    calendar = BusinessCalendar(weekly_hours=week)
    assert calendar.add(at("2026-11-27T15:30+03:00"), hours(1)).isoformat() == msk(
        "2026-11-30T09:30"
    )
    assert calendar.between(at("2026-11-23T00:00+03:00"), at("2026-11-30T00:00+03:00")) == hours(15)


@pytest.mark.parametrize(
    ("start", "delta", "expected"),
    [
        ("2026-03-29T01:00+01:00", hours(1.5), "2026-03-29T03:30:00+02:00"),  # spring forward
        ("2026-03-29T01:00+01:00", hours(2), "2026-03-29T04:00:00+02:00"),
        ("2026-10-25T01:00+02:00", hours(1.5), "2026-10-25T02:30:00+02:00"),  # fall back
        ("2026-10-25T01:00+02:00", hours(2.5), "2026-10-25T02:30:00+01:00"),
        ("2026-10-25T01:00+02:00", hours(4), "2026-10-25T04:00:00+01:00"),
    ],
)
def test_a_clock_change_inside_business_hours_counts_real_time(start, delta, expected):
    """Sundays 01:00-04:00 in Berlin: 2 real hours in March, 4 in October."""
    sundays = BusinessCalendar(
        tz="Europe/Berlin", country=None, weekly_hours={6: ("01:00", "04:00")}
    )
    assert sundays.add(at(start), delta).isoformat() == expected
    assert sundays.between(at(start), at(expected)) == delta


def test_calendar_from_settings_takes_the_override_rows_of_the_database(settings):
    settings.SLA_CALENDAR_TIME_ZONE = "Europe/Moscow"
    rows = [(D(2026, 12, 1), "day_off", None, None), (D(2026, 12, 5), "working_day", None, None)]
    calendar = calendar_from_settings(rows)
    assert calendar.add(at("2026-11-30T18:00+03:00"), hours(2)).isoformat() == msk(
        "2026-12-02T11:00"
    )
    assert calendar.hours_on(D(2026, 12, 5)) == (
        at("2026-12-05T10:00+03:00"),
        at("2026-12-05T19:00+03:00"),
    )


def test_a_calendar_without_business_hours_says_so():
    empty = BusinessCalendar(weekly_hours={}, country=None)
    with pytest.raises(NoBusinessTimeError):
        empty.add(at("2026-11-27T18:30+03:00"), hours(1))


# --- refusing naive datetimes and bad input ----------------------------------------

NAIVE = datetime.datetime(2026, 11, 27, 18, 30)
AWARE = at("2026-11-27T18:30+03:00")


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.add(NAIVE, hours(1)),
        lambda: CAL.between(NAIVE, AWARE),
        lambda: CAL.between(AWARE, NAIVE),
        lambda: CAL.next_business_moment(NAIVE),
        lambda: CAL.outside_hours(NAIVE, AWARE),
        lambda: CAL.outside_duration(AWARE, NAIVE),
    ],
    ids=[
        "add",
        "between start",
        "between end",
        "next_business_moment",
        "outside_hours",
        "outside_duration",
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(
        NaiveDatetimeError,
        match=r"2026-11-27T18:30:00 is a naive datetime; "
        r"give a time zone \(e\.g\. 2026-11-27T18:30\+03:00\)",
    ):
        call()
    assert issubclass(NaiveDatetimeError, ValueError)


def test_negative_business_time_cannot_be_added():
    with pytest.raises(ValueError, match="negative"):
        CAL.add(AWARE, hours(-1))


# --- the business_time command -----------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("business_time", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (("add", "2026-11-27T18:30+03:00", "1"), "2026-11-30T10:30:00+03:00\n"),
        (("add", "2026-11-27T15:30Z", "1.5"), "2026-11-30T11:00:00+03:00\n"),
        (("add", "2026-11-30T10:00+03:00", "0"), "2026-11-30T10:00:00+03:00\n"),
        (("add", "2025-12-30T18:00+03:00", "4"), "2026-01-12T13:00:00+03:00\n"),
        (("between", "2026-11-27T10:00+03:00", "2026-11-27T15:00+03:00"), "5.00\n"),
        (("between", "2026-11-27T18:30+03:00", "2026-11-30T10:50+03:00"), "1.33\n"),
        (("between", "2025-01-01T00:00+03:00", "2026-01-01T00:00+03:00"), "2223.00\n"),
        (("between", "2026-11-30T11:00+03:00", "2026-11-30T10:00+03:00"), "-1.00\n"),
    ],
)
def test_command_prints_iso_moments_and_hours(args, printed):
    assert run(*args) == printed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "2026-11-27T18:30", "1"), "has no time zone"),
        (("add", "27.11.2026 18:30", "1"), "is not an ISO 8601 date"),
        (("add", "2026-11-27T18:30+03:00", "-1"), "zero or above"),
        (("add", "2026-11-27T18:30+03:00", "an hour"), "is not a number of hours"),
        (("add", "2026-11-27T18:30+03:00", "nan"), "zero or above"),
        (("between", "2026-11-27T18:30+03:00", "tomorrow"), "is not an ISO 8601 date"),
        (("subtract", "2026-11-27T18:30+03:00", "1"), "unknown operation 'subtract'"),
    ],
)
def test_command_refuses_bad_input_with_status_2(args, message):
    with pytest.raises(CommandError, match=message) as refused:
        run(*args)
    assert refused.value.returncode == 2


def test_command_exits_with_status_2_and_a_message_on_stderr():
    finished = subprocess.run(
        [sys.executable, "manage.py", "business_time", "add", "2026-11-27T18:30", "1"],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert "2026-11-27T18:30 has no time zone" in finished.stderr
