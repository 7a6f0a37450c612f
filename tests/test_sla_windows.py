"""Approved out-of-hours windows: inside one, the clock runs around the clock."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import default_calendar
from sla.windows import WindowedCalendar, merge

MSK = ZoneInfo("Europe/Moscow")
H = datetime.timedelta(hours=1)


def msk(*args):
    return datetime.datetime(*args, tzinfo=MSK)


BASE = default_calendar()
# Friday 27 November 2026, 19:00 to Saturday 28 November, 03:00: eight night hours.
NIGHT = (msk(2026, 11, 27, 19), msk(2026, 11, 28, 3))


@pytest.mark.parametrize(
    "start, hours, expected",
    [
        (msk(2026, 11, 27, 18, 30), 1, msk(2026, 11, 27, 19, 30)),  # runs on into the night
        (msk(2026, 11, 27, 18, 30), 8.5, msk(2026, 11, 28, 3, 0)),  # to the window's end
        (msk(2026, 11, 27, 18, 30), 9, msk(2026, 11, 30, 10, 30)),  # then Monday morning
        (msk(2026, 11, 27, 22, 0), 2, msk(2026, 11, 28, 0, 0)),  # filed inside the window
        (msk(2026, 11, 27, 10, 0), 9, msk(2026, 11, 27, 19, 0)),  # the day before is normal
        (msk(2026, 11, 27, 10, 0), 10, msk(2026, 11, 27, 20, 0)),
    ],
)
def test_add_counts_every_minute_inside_an_approved_window(start, hours, expected):
    calendar = WindowedCalendar(BASE, [NIGHT])
    assert calendar.add(start, hours * H) == expected


@pytest.mark.parametrize(
    "start, end, hours",
    [
        (msk(2026, 11, 27, 18, 0), msk(2026, 11, 28, 3, 0), 9),  # 1 business + 8 window
        (msk(2026, 11, 27, 20, 0), msk(2026, 11, 27, 21, 0), 1),
        (msk(2026, 11, 28, 3, 0), msk(2026, 11, 30, 10, 0), 0),  # weekend, no window
        (msk(2026, 11, 26, 18, 0), msk(2026, 11, 30, 11, 0), 1 + 9 + 8 + 1),
    ],
)
def test_between_adds_the_window_to_business_time(start, end, hours):
    assert WindowedCalendar(BASE, [NIGHT]).between(start, end) == hours * H


def test_add_and_between_agree_across_windows():
    calendar = WindowedCalendar(BASE, [NIGHT, (msk(2026, 11, 29, 12), msk(2026, 11, 29, 14))])
    start = msk(2026, 11, 27, 15, 0)
    for minutes in range(0, 30 * 60, 37):
        delta = datetime.timedelta(minutes=minutes)
        assert calendar.between(start, calendar.add(start, delta)) == delta


def test_overlapping_windows_merge():
    a, b = msk(2026, 1, 1, 1), msk(2026, 1, 1, 3)
    assert merge([(a, b), (a + H, b + H), (b + 5 * H, b + 6 * H)]) == [
        (a, b + H),
        (b + 5 * H, b + 6 * H),
    ]
