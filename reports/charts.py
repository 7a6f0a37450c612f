"""Geometry of the server-rendered SVG charts: plain numbers for the templates.

The templates draw what is computed here (``templates/reports/_chart.html``); no
JavaScript, no external library. Every chart has its figures in a table too.
"""

import datetime
import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 20, 44
MOST_LABELS = 12


@dataclass(frozen=True)
class Tick:
    y: float
    value: float


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    value: float
    series: str = ""  # CSS class suffix and legend key
    name: str = ""  # what the segment counts, for its tooltip


@dataclass
class Column:
    month: datetime.date
    center: float
    show_label: bool
    segments: list[Segment] = field(default_factory=list)
    value: float | None = None  # the column's figure, written above it

    @property
    def value_y(self) -> float:
        """Where the column's figure is written: just above its bar."""
        top = min((s.y for s in self.segments), default=TOP + _plot_height())
        return round(top - 5, 1)


@dataclass
class Chart:
    columns: list[Column]
    ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    unit: str = ""
    places: int = 0  # decimals of the figures written above the columns

    @property
    def label_y(self) -> int:
        return self.bottom + 18

    @property
    def value_unit(self) -> str:
        return f"\u00a0{self.unit}" if self.unit else ""

    @property
    def tick_label_x(self) -> int:
        return self.left - 6


def _plot_height() -> int:
    return HEIGHT - TOP - BOTTOM


def _y(value: float, ceiling: float) -> float:
    return round(TOP + _plot_height() * (1 - value / ceiling), 1)


def _slots(months: list[datetime.date]):
    """(month, left edge, slot width, label shown?) for each month."""
    slot = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    every = math.ceil(len(months) / MOST_LABELS) or 1
    for index, month in enumerate(months):
        yield month, LEFT + index * slot, slot, index % every == 0


def nice_ceiling(value: float) -> tuple[float, float]:
    """A round top for an axis of counts, and its tick step (1, 2 or 5 × 10ⁿ)."""
    if value <= 0:
        return 4.0, 1.0
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1)
    return step * math.ceil(value / step), step


def _ticks(ceiling: float, step: float) -> list[Tick]:
    count = round(ceiling / step)
    return [Tick(y=_y(i * step, ceiling), value=i * step) for i in range(count + 1)]


def percent_bars(values: dict[datetime.date, float | None], *, name: str = "") -> Chart:
    """One bar per month, 0-100 %; a month without a figure has no bar."""
    columns = []
    for month, edge, slot, show in _slots(list(values)):
        value = values[month]
        column = Column(month=month, center=round(edge + slot / 2, 1), show_label=show,
                        value=value)
        if value is not None:
            width = slot * 0.6
            y = _y(value, 100)
            column.segments.append(Segment(
                x=round(edge + (slot - width) / 2, 1), y=y, width=round(width, 1),
                height=round(TOP + _plot_height() - y, 1), value=value, series="value", name=name,
            ))
        columns.append(column)
    return Chart(columns=columns, ticks=_ticks(100, 25), unit="%", places=1)


def stacked_bars(
    values: dict[datetime.date, list[tuple[str, str, float]]], *, places: int = 0
) -> Chart:
    """Stacked bars per month; each month's list is (series, name, count), bottom first."""
    ceiling, step = nice_ceiling(max((sum(c for _, _, c in stack) for stack in values.values()),
                                     default=0))
    columns = []
    for month, edge, slot, show in _slots(list(values)):
        width = slot * 0.6
        x = round(edge + (slot - width) / 2, 1)
        column = Column(month=month, center=round(edge + slot / 2, 1), show_label=show)
        below = 0
        for series, name, count in values[month]:
            if count:
                top = _y(below + count, ceiling)
                column.segments.append(Segment(
                    x=x, y=top, width=round(width, 1), height=round(_y(below, ceiling) - top, 1),
                    value=count, series=series, name=name,
                ))
            below += count
        column.value = below
        columns.append(column)
    return Chart(columns=columns, ticks=_ticks(ceiling, step), places=places)
