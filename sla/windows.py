"""A ticket's calendar with approved out-of-hours windows: inside a window the clock runs
around the clock; outside, business hours as usual. Pure arithmetic, no database.

Windows are few per ticket (usually none), so walking them is cheap; the business-time
parts still use the base calendar's constant-time operations.
"""

import datetime

ZERO = datetime.timedelta(0)


def merge(windows) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Sorted, non-overlapping windows."""
    merged: list[list[datetime.datetime]] = []
    for start, end in sorted(w for w in windows if w[1] > w[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


class WindowedCalendar:
    """The base calendar, plus windows in which every minute is business time."""

    def __init__(self, base, windows):
        self.base = base
        self.windows = merge(windows)
        self.tz = base.tz

    def __getattr__(self, name):
        return getattr(self.base, name)

    def between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """Business time plus the out-of-hours part of the windows within [start, end)."""
        if end < start:
            return -self.between(end, start)
        total = self.base.between(start, end)
        for w_start, w_end in self.windows:
            a, b = max(start, w_start), min(end, w_end)
            if a < b:
                total += self.base.outside_duration(a, b)
        return total

    def add(self, moment: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
        """The earliest moment by which `delta` of (windowed) business time has passed."""
        if delta <= ZERO:
            if any(s <= moment < e for s, e in self.windows):
                return moment.astimezone(self.tz)
            return self.base.add(moment, delta)
        left, cursor = delta, moment
        for w_start, w_end in self.windows:
            if w_end <= cursor:
                continue
            if cursor < w_start:  # business hours up to the window
                reached = self.base.add(cursor, left)
                if reached <= w_start:
                    return reached
                left -= self.base.between(cursor, w_start)
                cursor = w_start
            span = w_end - cursor  # inside the window every moment counts
            if span >= left:
                return (cursor + left).astimezone(self.tz)
            left -= span
            cursor = w_end
        return self.base.add(cursor, left)
