"""The chart geometry: bars in proportion, axes with round ticks."""

import datetime

from reports import charts

JAN, FEB, MAR = (datetime.date(2026, m, 1) for m in (1, 2, 3))


def test_percent_bars_are_proportional_and_a_month_without_figures_has_none():
    chart = charts.percent_bars({JAN: 100.0, FEB: 50.0, MAR: None})

    full, half = chart.columns[0].segments[0], chart.columns[1].segments[0]
    assert full.y == chart.top and full.y + full.height == chart.bottom
    assert half.height == full.height / 2
    assert chart.columns[2].segments == []
    assert [t.value for t in chart.ticks] == [0, 25, 50, 75, 100]


def test_stacked_bars_put_the_first_series_at_the_bottom():
    chart = charts.stacked_bars({
        JAN: [("p1", "Urgent", 2), ("p2", "High", 0), ("p3", "Normal", 6)],
        FEB: [("p1", "Urgent", 0), ("p2", "High", 0), ("p3", "Normal", 0)],
    })

    urgent, normal = chart.columns[0].segments
    assert urgent.series == "p1" and urgent.y + urgent.height == chart.bottom
    assert normal.y + normal.height == urgent.y
    assert normal.height == 3 * urgent.height
    assert chart.columns[0].value == 8 and chart.columns[1].segments == []


def test_axis_ceilings_are_round():
    assert charts.nice_ceiling(0) == (4.0, 1.0)
    assert charts.nice_ceiling(7) == (8, 2)
    assert charts.nice_ceiling(37) == (40, 10)
    assert charts.nice_ceiling(1.5) == (2, 1)


def test_long_periods_label_every_few_months_only():
    months = [datetime.date(2022 + i // 12, i % 12 + 1, 1) for i in range(36)]

    chart = charts.percent_bars(dict.fromkeys(months, 90.0))

    assert sum(column.show_label for column in chart.columns) == 12
