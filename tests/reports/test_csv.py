"""CSV exports: the figures of the page, and nothing a spreadsheet would run."""

import csv
import io

import pytest

from core.csv import safe_cell
from tests import factories
from tests.reports.conftest import file_at, msk


def rows_of(response) -> list[list[str]]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")  # Excel reads UTF-8 with the mark
    return list(csv.reader(io.StringIO(content[1:])))


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
        ("+7 495", "'+7 495"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Alpha = Beta", "Alpha = Beta"),
        ("ООО «Ромашка»", "ООО «Ромашка»"),
        (12, "12"),
        (None, ""),
    ],
)
def test_safe_cell_defuses_formulas_only(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.django_db
def test_sla_csv_has_one_row_per_organisation_and_month(scenario, client, agent):
    client.force_login(agent)

    response = client.get("/admin/reports/sla.csv", {"start": "2026-11", "end": "2026-12"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="sla-2026-11_2026-12.csv"'
    )
    assert rows_of(response) == [
        [
            "Organisation", "Month", "Tickets filed", "Reactions met", "Reactions breached",
            "Reactions met, percent", "Median reaction, business hours", "Resolutions met",
            "Resolutions breached",
        ],
        ["Alpha Billing", "2026-11", "3", "2", "1", "66.7", "1.50", "1", "1"],
        ["Alpha Billing", "2026-12", "1", "0", "0", "", "", "0", "0"],
        ["Beta Utilities", "2026-11", "1", "1", "0", "100.0", "2.00", "0", "0"],
        ["Beta Utilities", "2026-12", "1", "0", "1", "0.0", "", "0", "0"],
    ]


@pytest.mark.django_db
def test_tickets_csv_for_one_organisation(scenario, client, agent):
    client.force_login(agent)

    response = client.get(
        "/admin/reports/tickets.csv",
        {"start": "2026-11", "end": "2026-12", "organisation": scenario.beta.pk},
    )

    header, *rows = rows_of(response)
    assert header == [
        "Organisation", "Month", "Tickets filed", "Incident", "Consultation", "Change request",
        "Update installation", "Urgent", "High", "Normal", "Low", "Open", "Closed", "Rejected",
    ]
    assert rows == [
        ["Beta Utilities", "2026-11", "1", "1", "0", "0", "0", "0", "0", "0", "1", "0", "0", "1"],
        ["Beta Utilities", "2026-12", "1", "1", "0", "0", "0", "0", "1", "0", "0", "1", "0", "0"],
    ]
    assert response["Content-Disposition"].endswith(f'-org{scenario.beta.pk}.csv"')


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["=1+1", "+CMD|' /C calc'!A0", "-1", "@SUM(1)", "\t=1"])
def test_an_organisation_named_like_a_formula_is_exported_as_text(client, agent, name):
    organisation = factories.OrganisationFactory(name=name)
    file_at(msk(2026, 11, 2, 12, 0), factories.CustomerFactory(organisation=organisation))
    client.force_login(agent)

    for url in ("/admin/reports/sla.csv", "/admin/reports/tickets.csv"):
        response = client.get(url, {"start": "2026-11", "end": "2026-11"})
        _header, row = rows_of(response)
        assert row[0] == "'" + name


@pytest.mark.django_db
def test_the_csv_speaks_the_users_language_in_the_header_only(scenario, client, agent):
    client.force_login(agent)

    response = client.get(
        "/admin/reports/sla.csv", {"start": "2026-11", "end": "2026-11"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    header, first, _second = rows_of(response)
    assert header[0] == "Организация"
    assert first[1:6] == ["2026-11", "3", "2", "1", "66.7"]  # machine-readable figures
