"""Customer satisfaction: ratings per month (of the rating, Moscow time), organisation and
the agent who resolved the ticket, the same figures in the CSV, in English and Russian.

Alpha Billing
  A1  resolved by Agent Ada   rated 5 on 30 Nov 12:00
  A2  resolved by Agent Ada   rated 2 on 1 Dec 01:00 (30 Nov 22:00 UTC: a December rating)
  A3  resolved by Agent Bo    rated 4 on 16 Nov 12:00
  A4  resolved by Agent Ada   asked, never rated (not counted)
Beta Utilities
  B1  resolved by Agent Bo    rated 1 on 20 Nov 15:00
  B2  resolved by Agent Bo    rated 3 on 15 Oct (outside November-December)

November: 3 ratings (5, 4, 1), average 3.33; December: 1 (2), average 2.
Alpha: 3 (5, 4, 2), 3.67; Beta: 1 (1), 1.00. Ada: 2 (5, 2), 3.5; Bo: 2 (4, 1), 2.5.
Total: 4, average 3.00, one each of 1, 2, 4, 5; satisfied (4 or 5) 50 %.
"""

import csv
import datetime
import io

import pytest

from reports import selectors
from reports.periods import Period
from tests import factories
from tests.reports.conftest import MSK, at, file_at, msk
from tickets import services

NOV, DEC = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)
NOV_DEC = Period(first=NOV, last=DEC, tz=MSK)
FILTER = {"start": "2026-11", "end": "2026-12"}


def _rated(moment, requester, agent, score):
    ticket = file_at(moment - datetime.timedelta(hours=2), requester)
    at(moment - datetime.timedelta(hours=1), services.ticket_accept, ticket=ticket, actor=agent)
    at(moment - datetime.timedelta(minutes=30), services.ticket_resolve, ticket=ticket, actor=agent)
    if score is not None:
        at(moment, services.ticket_rate, ticket=ticket, actor=requester, score=score)
    return ticket


@pytest.fixture
def ratings(db):
    alpha = factories.OrganisationFactory(name="Alpha Billing")
    beta = factories.OrganisationFactory(name="Beta Utilities")
    ann = factories.CustomerFactory(organisation=alpha)
    bob = factories.CustomerFactory(organisation=beta)
    ada = factories.AgentFactory(full_name="Agent Ada")
    bo = factories.AgentFactory(full_name="Agent Bo")
    _rated(msk(2026, 11, 30, 12, 0), ann, ada, 5)
    _rated(msk(2026, 12, 1, 1, 0), ann, ada, 2)
    _rated(msk(2026, 11, 16, 12, 0), ann, bo, 4)
    _rated(msk(2026, 11, 17, 12, 0), ann, ada, None)
    _rated(msk(2026, 11, 20, 15, 0), bob, bo, 1)
    _rated(msk(2026, 10, 15, 12, 0), bob, bo, 3)
    return {"alpha": alpha, "beta": beta}


def figures(row) -> tuple:
    average = None if row.average is None else round(row.average, 2)
    return row.rated, average, row.score_counts


def test_satisfaction_per_month_organisation_and_agent(ratings, count_queries):
    queries, report = count_queries(lambda: selectors.satisfaction(period=NOV_DEC))
    assert queries == 1
    assert [(m.month, figures(m)) for m in report.months] == [
        (NOV, (3, 3.33, [1, 0, 0, 1, 1])),
        (DEC, (1, 2.0, [0, 1, 0, 0, 0])),
    ]
    assert [(o.organisation, figures(o)) for o in report.organisations] == [
        ("Alpha Billing", (3, 3.67, [0, 1, 0, 1, 1])),
        ("Beta Utilities", (1, 1.0, [1, 0, 0, 0, 0])),
    ]
    assert [(a.agent, figures(a)) for a in report.agents] == [
        ("Agent Ada", (2, 3.5, [0, 1, 0, 0, 1])),
        ("Agent Bo", (2, 2.5, [1, 0, 0, 1, 0])),
    ]
    assert figures(report.total) == (4, 3.0, [1, 1, 0, 1, 1])
    assert report.total.satisfied_percent == 50.0


def test_one_organisation_only(ratings):
    report = selectors.satisfaction(period=NOV_DEC, organisation=ratings["beta"])
    assert figures(report.total) == (1, 1.0, [1, 0, 0, 0, 0])
    assert [a.agent for a in report.agents] == ["Agent Bo"]


def test_the_page_shows_the_tables_and_the_chart(ratings, client, agent):
    client.force_login(agent)
    response = client.get("/admin/reports/satisfaction/", FILTER)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Customer satisfaction" in page
    assert 'id="satisfaction-chart-title"' in page
    for heading in ("By month", "By organisation", "By agent"):
        assert f">{heading}</h2>" in page
    assert "3.33" in page and "3.67" in page and "Agent Ada" in page
    assert 'href="/admin/reports/satisfaction.csv?start=2026-11&amp;end=2026-12' in page
    assert 'href="/admin/reports/satisfaction/"' in client.get("/admin/reports/").content.decode()


def test_the_page_speaks_russian(ratings, client, agent):
    client.force_login(agent)
    response = client.get("/admin/reports/satisfaction/", FILTER, HTTP_ACCEPT_LANGUAGE="ru")
    page = response.content.decode()
    assert '<html lang="ru"' in page
    assert "ноябрь 2026" in page.lower() or "ноября 2026" in page.lower()


def test_the_csv_has_one_row_per_organisation_month_and_agent(ratings, client, agent):
    client.force_login(agent)
    response = client.get("/admin/reports/satisfaction.csv", FILTER)
    assert response["Content-Disposition"] == (
        'attachment; filename="satisfaction-2026-11_2026-12.csv"'
    )
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content[1:])))
    assert rows[0] == [
        "Organisation", "Month", "Resolved by", "Ratings", "Average score",
        "1 of 5", "2 of 5", "3 of 5", "4 of 5", "5 of 5",
    ]
    assert rows[1:] == [
        ["Alpha Billing", "2026-11", "Agent Ada", "1", "5.00", "0", "0", "0", "0", "1"],
        ["Alpha Billing", "2026-11", "Agent Bo", "1", "4.00", "0", "0", "0", "1", "0"],
        ["Alpha Billing", "2026-12", "Agent Ada", "1", "2.00", "0", "1", "0", "0", "0"],
        ["Beta Utilities", "2026-11", "Agent Bo", "1", "1.00", "1", "0", "0", "0", "0"],
    ]


def test_the_csv_defuses_a_formula_in_an_organisation_name(ratings, client, agent):
    ratings["alpha"].name = '=HYPERLINK("http://evil")'
    ratings["alpha"].save(update_fields=["name"])
    client.force_login(agent)
    content = client.get("/admin/reports/satisfaction.csv", FILTER).content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(content[1:])))
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")"


def test_a_bad_filter_is_a_clear_400(client, agent):
    client.force_login(agent)
    response = client.get("/admin/reports/satisfaction.csv", {"start": "2026-13"})
    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()
