"""Each report costs the same number of queries for ten tickets as for one."""

import pytest

from tests import factories
from tests.reports.conftest import file_at, msk

URLS = [
    "/admin/reports/sla/", "/admin/reports/sla.csv",
    "/admin/reports/tickets/", "/admin/reports/tickets.csv",
    "/admin/reports/hours/", "/admin/reports/hours.csv",
    "/admin/reports/satisfaction/", "/admin/reports/satisfaction.csv",
]
FILTER = {"start": "2026-01", "end": "2026-12"}


def _file_tickets(count: int, offset: int) -> None:
    for index in range(count):
        organisation = factories.OrganisationFactory()
        customer = factories.CustomerFactory(organisation=organisation)
        file_at(msk(2026, 1 + (offset + index) % 12, 10, 12, 0), customer)


@pytest.mark.django_db
@pytest.mark.parametrize("url", URLS)
def test_report_queries_do_not_grow_with_the_tickets(client, manager, url, count_queries):
    client.force_login(manager)
    _file_tickets(1, offset=0)
    few, response = count_queries(lambda: client.get(url, FILTER))
    assert response.status_code == 200

    _file_tickets(10, offset=1)
    many, response = count_queries(lambda: client.get(url, FILTER))

    assert response.status_code == 200
    assert many == few
    assert many <= 9  # session, user, organisations for the filter, the report, the Urgent banner


@pytest.mark.django_db
def test_the_sla_report_is_three_aggregate_queries(count_queries):
    from reports import selectors
    from reports.periods import Period
    from tests.reports.conftest import MSK

    _file_tickets(5, offset=0)
    period = Period.last_months(12, tz=MSK)
    queries, report = count_queries(
        lambda: selectors.sla_compliance(period=period)
    )

    assert queries == 3
