"""SLA compliance per organisation and month, against the hand-computed scenario."""

import datetime
import re

import pytest

from reports import selectors
from reports.periods import Period
from sla.models import SlaEventKind
from tests.reports.conftest import MSK
from tickets.models import SlaState

NOV, DEC = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)
NOV_DEC = Period(first=NOV, last=DEC, tz=MSK)


def figures(row) -> tuple:
    return (
        row.filed, row.reaction_met, row.reaction_breached,
        None if row.reaction_met_percent is None else round(row.reaction_met_percent, 1),
        row.median_reaction_hours, row.resolution_met, row.resolution_breached,
    )


@pytest.mark.django_db
def test_the_scenario_is_what_the_hand_computation_assumes(scenario):
    t = scenario.tickets
    assert [t[n].reaction_business_seconds for n in (1, 2, 3, 5)] == [1800, 7200, 5400, 7200]
    assert [t[n].reaction_state for n in (1, 2, 3, 5, 6)] == [
        SlaState.MET, SlaState.BREACHED, SlaState.MET, SlaState.MET, SlaState.BREACHED,
    ]
    assert (t[1].resolution_state, t[2].resolution_state) == (SlaState.MET, SlaState.BREACHED)
    assert t[6].sla_events.filter(kind=SlaEventKind.REACTION_BREACHED).exists()
    # Filed on 30 November in UTC, on 1 December in Moscow.
    assert t[4].created_at.astimezone(datetime.UTC).date() == datetime.date(2026, 11, 30)


@pytest.mark.django_db
def test_sla_figures_per_organisation_and_filing_month(scenario):
    report = selectors.sla_compliance(period=NOV_DEC)

    assert [(r.organisation, r.month, figures(r)) for r in report.rows] == [
        ("Alpha Billing", NOV, (3, 2, 1, 66.7, 1.5, 1, 1)),
        ("Alpha Billing", DEC, (1, 0, 0, None, None, 0, 0)),
        ("Beta Utilities", NOV, (1, 1, 0, 100.0, 2.0, 0, 0)),
        ("Beta Utilities", DEC, (1, 0, 1, 0.0, None, 0, 0)),
    ]


@pytest.mark.django_db
def test_monthly_and_period_totals_take_the_median_over_all_tickets(scenario):
    report = selectors.sla_compliance(period=NOV_DEC)

    assert [(m.month, figures(m)) for m in report.months] == [
        (NOV, (4, 3, 1, 75.0, 1.75, 1, 1)),
        (DEC, (2, 0, 1, 0.0, None, 0, 0)),
    ]
    assert figures(report.total) == (6, 3, 2, 60.0, 1.75, 1, 1)


@pytest.mark.django_db
def test_a_ticket_belongs_to_its_filing_month_in_moscow_time(scenario):
    november = selectors.sla_compliance(period=Period(first=NOV, last=NOV, tz=MSK))

    assert november.total.filed == 4  # T4, 30 November in UTC, is not among them
    assert [(r.organisation, r.filed) for r in november.rows] == [
        ("Alpha Billing", 3), ("Beta Utilities", 1),
    ]


@pytest.mark.django_db
def test_months_without_tickets_are_listed_empty(scenario):
    report = selectors.sla_compliance(
        period=Period(first=datetime.date(2026, 9, 1), last=NOV, tz=MSK)
    )

    assert [(m.month.month, m.filed) for m in report.months] == [(9, 0), (10, 1), (11, 4)]
    assert report.months[0].reaction_met_percent is None


@pytest.mark.django_db
def test_the_organisation_filter_keeps_one_organisations_tickets(scenario):
    report = selectors.sla_compliance(period=NOV_DEC, organisation=scenario.beta)

    assert {r.organisation for r in report.rows} == {"Beta Utilities"}
    assert figures(report.total) == (2, 1, 1, 50.0, 2.0, 0, 0)


@pytest.mark.django_db
def test_the_python_median_gives_the_same_figures_without_percentile_cont(
    scenario, monkeypatch
):
    in_db = selectors.sla_compliance(period=NOV_DEC)
    monkeypatch.setattr(selectors, "database_has_median", lambda connection: False)

    in_python = selectors.sla_compliance(period=NOV_DEC)

    assert [figures(r) for r in in_python.rows] == [figures(r) for r in in_db.rows]
    assert [figures(m) for m in in_python.months] == [figures(m) for m in in_db.months]
    assert figures(in_python.total) == figures(in_db.total)


def test_median_or_none_handles_even_odd_and_empty_groups():
    assert selectors.median_or_none([]) is None
    assert selectors.median_or_none([3]) == 3.0
    assert selectors.median_or_none([1, 4, 2, 10]) == 3.0


@pytest.mark.django_db
def test_the_sla_page_shows_the_figures_and_the_chart(scenario, client, agent):
    client.force_login(agent)

    response = client.get("/admin/reports/sla/", {"start": "2026-11", "end": "2026-12"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "SLA compliance" in html
    assert "Alpha Billing" in html and "Beta Utilities" in html
    assert "66.7" in html and "75.0" in html and "1.75" in html
    assert '<svg class="chart"' in html and 'role="img"' in html
    assert '<title id="sla-chart-title">' in html and '<desc id="sla-chart-desc">' in html
    assert 'href="/admin/reports/sla.csv?start=2026-11&amp;end=2026-12&amp;organisation="' in html


@pytest.mark.django_db
def test_the_page_speaks_russian_with_decimal_commas_but_the_svg_keeps_dots(
    scenario, client, agent
):
    client.force_login(agent)

    response = client.get(
        "/admin/reports/sla/",
        {"start": "2026-11", "end": "2026-12"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    html = response.content.decode()
    assert "Соблюдение SLA" in html and "Ноябрь 2026" in html
    assert "66,7" in html and "1,75" in html
    svg = html[html.index('<svg class="chart"'):]
    svg = svg[:svg.index("</svg>")]
    coordinates = re.findall(r' (?:x|y|x1|x2|y1|y2|width|height)="([^"]*)"', svg)
    assert coordinates and all(re.fullmatch(r"-?[0-9.]+", value) for value in coordinates)


@pytest.mark.django_db
def test_a_bad_month_range_is_explained_not_computed(client, agent):
    client.force_login(agent)

    response = client.get("/admin/reports/sla/", {"start": "2026-12", "end": "2026-11"})

    assert response.status_code == 200
    assert "The last month cannot come before the first." in response.content.decode()
    assert response.context["report"] is None
    assert client.get("/admin/reports/sla.csv", {"start": "2026-13"}).status_code == 400


@pytest.mark.django_db
def test_without_a_filter_the_report_covers_the_last_six_months(client, agent):
    import time_machine

    from tests.reports.conftest import msk

    client.force_login(agent)
    with time_machine.travel(msk(2026, 2, 10, 12, 0), tick=False):
        response = client.get("/admin/reports/sla/")

    period = response.context["report"].period
    assert (period.first, period.last) == (datetime.date(2025, 9, 1), datetime.date(2026, 2, 1))
    assert 'value="2025-09"' in response.content.decode()
