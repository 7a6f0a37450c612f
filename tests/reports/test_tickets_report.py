"""Tickets by type and priority per organisation and month, open or finished."""

import datetime

import pytest

from reports import selectors
from reports.periods import Period
from tests.reports.conftest import MSK
from tickets.models import Priority, TicketType

NOV, DEC = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)
NOV_DEC = Period(first=NOV, last=DEC, tz=MSK)


def counts(row) -> tuple:
    by_type = {TicketType(k).name: v for k, v in row.by_type.items() if v}
    by_priority = {Priority(k).name: v for k, v in row.by_priority.items() if v}
    return row.filed, by_type, by_priority, (row.open, row.closed, row.rejected)


@pytest.mark.django_db
def test_tickets_by_type_priority_and_state_per_organisation_and_month(scenario):
    report = selectors.tickets_by_type_and_priority(period=NOV_DEC)

    assert [(r.organisation, r.month, counts(r)) for r in report.rows] == [
        # T1 closed, T2 resolved (still open: not confirmed), T3 in progress.
        ("Alpha Billing", NOV, (3, {"INCIDENT": 3}, {"URGENT": 2, "HIGH": 1}, (2, 1, 0))),
        ("Alpha Billing", DEC, (1, {"CONSULTATION": 1}, {"NORMAL": 1}, (1, 0, 0))),
        ("Beta Utilities", NOV, (1, {"INCIDENT": 1}, {"LOW": 1}, (0, 0, 1))),
        ("Beta Utilities", DEC, (1, {"INCIDENT": 1}, {"HIGH": 1}, (1, 0, 0))),
    ]


@pytest.mark.django_db
def test_monthly_and_period_totals_add_the_organisations_up(scenario):
    report = selectors.tickets_by_type_and_priority(period=NOV_DEC)

    assert [(m.month, counts(m)) for m in report.months] == [
        (NOV, (4, {"INCIDENT": 4}, {"URGENT": 2, "HIGH": 1, "LOW": 1}, (2, 1, 1))),
        (DEC, (2, {"INCIDENT": 1, "CONSULTATION": 1}, {"HIGH": 1, "NORMAL": 1}, (2, 0, 0))),
    ]
    assert counts(report.total) == (
        6,
        {"INCIDENT": 5, "CONSULTATION": 1},
        {"URGENT": 2, "HIGH": 2, "NORMAL": 1, "LOW": 1},
        (4, 1, 1),
    )
    # Table columns follow the order of the choices.
    assert report.total.type_counts == [5, 1, 0, 0]
    assert report.total.priority_counts == [2, 2, 1, 1]


@pytest.mark.django_db
def test_the_tickets_page_has_the_table_and_a_stacked_chart_by_priority(
    scenario, client, manager
):
    client.force_login(manager)

    response = client.get(
        "/admin/reports/tickets/",
        {"start": "2026-11", "end": "2026-12", "organisation": scenario.alpha.pk},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Alpha Billing" in html and "Beta Utilities</th>" not in html
    assert html.count('class="series-p1"') == 1  # November's urgent tickets of Alpha
    assert '<desc id="tickets-chart-desc">' in html
    assert "Update installation" in html and "Urgent" in html
