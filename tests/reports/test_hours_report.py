"""Hours billed per organisation and month, as the statements count them (managers only).

Alpha Billing (all times Moscow; 4 November 2026 is a holiday, 28 November a Saturday)
  A1 incident
    E1  Mon 30 Nov 17:00, 3 h, billable: 2 h business + 1 h unapproved out of hours
    E2  Sat 28 Nov 11:00, 2 h, billable, inside the approved window 10:00-14:00:
        2 h approved out of hours, billed twice
    E3  Tue 1 Dec 10:00, 1 h, not billable
  A2 update installation
    E4  Wed 4 Nov 12:00, 1.5 h (holiday): 1.5 h unapproved out of hours, reviewed
Beta Utilities
  B1 incident
    E5  Fri 27 Nov 18:00, 2 h: 1 h business + 1 h unapproved out of hours

Alpha, November: business 2 h, approved 2 h, unapproved 2.5 h,
billable 2 + 2 × 2 + 2.5 = 8.5 h; E1 still to review. Beta, November: billable 2 h.
"""

import datetime

import pytest

from billing import services, statements
from billing.models import TimeEntry
from reports import selectors
from reports.periods import Period
from tests import factories
from tests.reports.conftest import MSK, at, file_at, msk
from tickets.models import TicketType

NOV, DEC = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)
HOUR = 3600


def log(ticket, agent, start, hours, billable=True):
    entry = TimeEntry(
        ticket=ticket, started_at=start, duration=datetime.timedelta(hours=hours),
        description="Checked the invoice run logs.", billable=billable,
    )
    return at(start + entry.duration, services.time_entry_save, entry=entry, actor=agent)


@pytest.fixture
def hours_scenario(db, agent, manager):
    alpha = factories.OrganisationFactory(name="Alpha Billing")
    beta = factories.OrganisationFactory(name="Beta Utilities")
    ann = factories.RepresentativeFactory(organisation=alpha)
    bob = factories.CustomerFactory(organisation=beta)
    a1 = file_at(msk(2026, 11, 2, 11, 0), ann)
    a2 = file_at(msk(2026, 11, 2, 11, 30), ann, type=TicketType.UPDATE_INSTALLATION)
    b1 = file_at(msk(2026, 11, 2, 12, 0), bob)

    window = at(
        msk(2026, 11, 27, 12, 0), services.ooh_request_create, ticket=a1, actor=ann,
        start=msk(2026, 11, 28, 10, 0), end=msk(2026, 11, 28, 14, 0),
        reason="The invoice run must finish before Monday.",
    )
    at(msk(2026, 11, 27, 13, 0), services.ooh_request_approve, request=window, actor=manager)

    log(a1, agent, msk(2026, 11, 30, 17, 0), 3)
    log(a1, agent, msk(2026, 11, 28, 11, 0), 2)
    log(a1, agent, msk(2026, 12, 1, 10, 0), 1, billable=False)
    e4 = log(a2, agent, msk(2026, 11, 4, 12, 0), 1.5)
    log(b1, agent, msk(2026, 11, 27, 18, 0), 2)
    at(msk(2026, 11, 30, 9, 0), services.time_entries_mark_reviewed, entries=[e4], actor=manager)
    statement = at(
        msk(2026, 12, 1, 10, 0), statements.statement_generate, organisation=alpha, month=NOV
    )
    return alpha, beta, statement


def seconds(row) -> tuple:
    return (
        row.tickets, row.entries, row.business_seconds, row.approved_ooh_seconds,
        row.unapproved_ooh_seconds, row.billable_seconds, row.non_billable_seconds,
        row.to_review,
    )


@pytest.mark.django_db
def test_hours_per_organisation_and_month_match_the_hand_computation(hours_scenario):
    alpha, beta, statement = hours_scenario
    report = selectors.hours_billed(period=Period(first=NOV, last=DEC, tz=MSK))

    assert [(r.organisation, r.month, seconds(r)) for r in report.rows] == [
        ("Alpha Billing", NOV, (2, 3, 2 * HOUR, 2 * HOUR, 9000, 30600, 0, 1)),
        ("Alpha Billing", DEC, (1, 1, 0, 0, 0, 0, HOUR, 0)),
        ("Beta Utilities", NOV, (1, 1, HOUR, 0, HOUR, 2 * HOUR, 0, 1)),
    ]
    assert report.rows[0].billable_hours == 8.5
    assert [seconds(m) for m in report.months] == [
        (3, 4, 3 * HOUR, 2 * HOUR, 12600, 37800, 0, 2),
        (1, 1, 0, 0, 0, 0, HOUR, 0),
    ]
    # A1 was worked in both months: one ticket in the period.
    assert seconds(report.total) == (3, 5, 3 * HOUR, 2 * HOUR, 12600, 37800, HOUR, 2)


@pytest.mark.django_db
def test_the_report_agrees_with_the_statement_of_the_month(hours_scenario):
    alpha, beta, statement = hours_scenario
    report = selectors.hours_billed(period=Period(first=NOV, last=NOV, tz=MSK))

    alpha_nov, beta_nov = report.rows
    assert statement.billable_seconds == alpha_nov.billable_seconds == 30600
    assert (alpha_nov.statement_status, alpha_nov.statement_differs) == ("issued", False)
    assert (beta_nov.statement_label, beta_nov.statement_billable_seconds) == ("", None)


@pytest.mark.django_db
def test_the_hours_page_and_csv_for_a_manager(hours_scenario, client, manager):
    alpha, beta, statement = hours_scenario
    client.force_login(manager)
    query = {"start": "2026-11", "end": "2026-12"}

    html = client.get("/admin/reports/hours/", query).content.decode()
    assert "8.50" in html and "10.50" in html and "Awaiting confirmation" in html
    assert '<desc id="hours-chart-desc">' in html

    content = client.get("/admin/reports/hours.csv", query).content.decode("utf-8-sig")
    lines = content.splitlines()
    assert lines[0].startswith("Organisation,Month,Tickets worked,Time entries,Business hours")
    assert lines[1] == (
        "Alpha Billing,2026-11,2,3,2.00,2.00,2.50,8.50,0.00,1,Awaiting confirmation,8.50"
    )
    assert lines[2] == "Alpha Billing,2026-12,1,1,0.00,0.00,0.00,0.00,1.00,0,,"
    assert lines[3] == "Beta Utilities,2026-11,1,1,1.00,0.00,1.00,2.00,0.00,1,,"
