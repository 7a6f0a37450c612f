"""Monthly statements: figures checked against the hand-computed months of
``tests.billing.scenarios``; shown to the organisation's representatives only; confirmed
or disputed; reissued by a manager."""

import datetime
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from billing import statements
from billing.models import Statement, StatementStatus, TimeEntry
from notifications.models import Notification
from notifications.rendering import render_notification
from sla.models import CalendarOverride
from tests import factories
from tests.billing.conftest import mails, msk
from tests.billing.scenarios import H, log, new_year, november_2026
from tests.helpers import text

pytestmark = pytest.mark.django_db

NOVEMBER = datetime.date(2026, 11, 1)


def figures(row) -> tuple:
    return (
        row.business_seconds, row.approved_ooh_seconds, row.unapproved_ooh_seconds,
        row.billable_seconds, row.non_billable_seconds,
    )


@pytest.fixture
def november(customer, representative, outsider, agent, manager):
    return november_2026(
        customer=customer, representative=representative, outsider=outsider, agent=agent,
        manager=manager,
    )


@pytest.fixture
def generated(november):
    with time_machine.travel(msk(2026, 12, 1, 9), tick=False):
        made = statements.statements_generate(month=NOVEMBER)
    return {statement.organisation_id: statement for statement in made}


def test_november_figures_match_the_hand_computed_example(november, generated, customer):
    statement = generated[customer.organisation_id]
    assert statement.month == NOVEMBER
    assert statement.period_start == msk(2026, 11, 1)
    assert statement.period_end == msk(2026, 12, 1)
    assert statement.time_zone == "Europe/Moscow"
    assert statement.status == StatementStatus.ISSUED
    lines = {line.ticket_number: line for line in statement.lines.all()}
    assert set(lines) == {november.incident.number, november.update.number,
                          november.consultation.number}

    incident = lines[november.incident.number]
    # business 3 H, approved 7 H, unapproved 5 H, billable 3 + 2 x 7 + 5 = 22 H, 1.5 H free.
    assert figures(incident) == (3 * H, 7 * H, 5 * H, 22 * H, int(1.5 * H))
    assert incident.entries_count == 4
    update = lines[november.update.number]
    # business 0.5 H, approved 1.5 H, unapproved 1 H, billable 0.5 + 3 + 1 = 4.5 H.
    assert figures(update) == (int(0.5 * H), int(1.5 * H), 1 * H, int(4.5 * H), 0)
    consultation = lines[november.consultation.number]
    assert figures(consultation) == (0, 0, 0, 0, 1 * H)

    # 3.5 H business, 8.5 H approved, 6 H unapproved, 26.5 H billable, 2.5 H not billed.
    assert statement.tickets_count == 3
    assert figures(statement) == (
        int(3.5 * H), int(8.5 * H), 6 * H, int(26.5 * H), int(2.5 * H)
    )


def test_the_neighbour_has_its_own_statement(november, generated, outsider):
    theirs = generated[outsider.organisation_id]
    # Thu 12 Nov 12:00-14:00: business 2 H, billable 2 H.
    assert figures(theirs) == (2 * H, 0, 0, 2 * H, 0)
    assert [line.ticket_number for line in theirs.lines.all()] == [november.other_ticket.number]


def test_the_new_year_holidays_and_transferred_days_off(customer, representative, agent, manager):
    new_year(customer=customer, representative=representative, agent=agent, manager=manager)
    organisation = customer.organisation
    december = statements.statement_generate(
        organisation=organisation, month=datetime.date(2025, 12, 1)
    )
    # business 1 H, approved 0, unapproved 1 + 7 = 8 H, billable 1 + 8 = 9 H.
    assert figures(december) == (1 * H, 0, 8 * H, 9 * H, 0)
    january = statements.statement_generate(
        organisation=organisation, month=datetime.date(2026, 1, 1)
    )
    # business 1 H, approved 2 H, unapproved 2 + 1 = 3 H, billable 1 + 2 x 2 + 3 = 8 H.
    assert figures(january) == (1 * H, 2 * H, 3 * H, 8 * H, 0)


def test_a_statement_is_frozen_at_generation(november, generated, customer, manager):
    statement = generated[customer.organisation_id]
    # The month is frozen for changes...
    entry = TimeEntry.objects.filter(ticket=november.incident).order_by("started_at")[1]
    with pytest.raises(Exception, match="already issued"):
        entry.duration = datetime.timedelta(hours=1)
        from billing import services

        services.time_entry_save(entry=entry, actor=manager)
    # ...and a later calendar change does not move the figures.
    CalendarOverride.objects.create(date=datetime.date(2026, 11, 3), kind="day_off",
                                    created_by=manager)
    statement.refresh_from_db()
    assert statement.billable_seconds == int(26.5 * H)


def test_generation_uses_the_calendar_of_the_day_and_never_runs_twice(customer, agent, manager):
    ticket = factories.TicketFactory(requester=customer)
    entry = log(ticket, agent, msk(2026, 11, 13, 12), 1)  # Friday 13 Nov: business hours
    assert entry.business_seconds == H
    # The manager makes Friday 13 November a day off before the statement: it is re-split.
    CalendarOverride.objects.create(date=datetime.date(2026, 11, 13), kind="day_off",
                                    created_by=manager)
    statement = statements.statement_generate(organisation=customer.organisation, month=NOVEMBER)
    assert figures(statement) == (0, 0, H, H, 0)
    assert statements.statement_generate(organisation=customer.organisation, month=NOVEMBER) is None
    assert Statement.objects.count() == 1


def test_the_representatives_are_mailed_that_the_statement_is_ready(
    november, generated, customer, representative, outsider
):
    other_rep = factories.RepresentativeFactory(organisation=outsider.organisation)
    # Generated before other_rep existed: only A's representative for A's statement.
    assert mails("statement_ready") == [representative.email]
    row = Notification.objects.get(event="statement_ready")
    mail = render_notification(row)
    assert mail.subject == "Statement for November 2026 is ready"
    assert "3 tickets worked, billable total 26.50 hours" in mail.text
    statement = generated[customer.organisation_id]
    assert f"https://helpdesk.example.com/billing/statements/{statement.pk}/" in mail.text
    assert other_rep.email not in mails("statement_ready")

    row.language = "ru"
    mail = render_notification(row)
    assert mail.subject.startswith("Отчёт за ")
    assert "3 заявки в работе, к оплате 26,50 ч" in mail.text


def test_the_portal_shows_the_statement_to_its_representative(
    client, november, generated, customer, representative
):
    statement = generated[customer.organisation_id]
    client.force_login(representative)
    listing = text(client.get(reverse("billing:statement_list")))
    assert "November 2026" in listing and "26.50" in listing
    page = text(client.get(reverse("billing:statement_detail", args=[statement.pk])))
    assert november.incident.number in page and november.update.number in page
    assert "22.00" in page and "26.50" in page
    assert "(×2 = 17.00)" in page  # 8.5 approved hours count 17
    assert "Confirm the statement" in page


def test_nobody_else_sees_a_statement(client, november, generated, customer, outsider, agent):
    statement = generated[customer.organisation_id]
    other_rep = factories.RepresentativeFactory(organisation=outsider.organisation)
    urls = [
        reverse("billing:statement_detail", args=[statement.pk]),
        reverse("billing:statement_csv", args=[statement.pk]),
    ]
    for person in (customer, other_rep, agent):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
    client.force_login(other_rep)
    listing = text(client.get(reverse("billing:statement_list")))
    assert "November 2026" in listing  # their own
    assert november.incident.number not in listing
    assert reverse("billing:statement_detail", args=[statement.pk]) not in listing
    client.force_login(customer)
    assert client.get(reverse("billing:statement_list")).status_code == 404
    response = client.post(reverse("billing:statement_answer", args=[statement.pk]),
                           {"answer": "confirm"})
    assert response.status_code == 404


def test_the_representative_confirms_and_the_managers_are_mailed(
    client, generated, customer, representative, manager
):
    statement = generated[customer.organisation_id]
    client.force_login(representative)
    url = reverse("billing:statement_answer", args=[statement.pk])
    response = client.post(url, {"answer": "confirm", "comment": "Thanks."})
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.status == StatementStatus.CONFIRMED
    assert statement.responded_by == representative
    assert mails("statement_confirmed") == [manager.email]
    mail = render_notification(Notification.objects.get(event="statement_confirmed"))
    assert "confirmed the statement of" in mail.text and "Thanks." in mail.text
    page = text(client.get(reverse("billing:statement_detail", args=[statement.pk])))
    assert "Confirm the statement" not in page
    assert "Confirmed by" in page

    response = client.post(url, {"answer": "dispute", "comment": "Changed my mind"}, follow=True)
    assert "This statement is already “Confirmed”." in unescape(text(response))
    statement.refresh_from_db()
    assert statement.status == StatementStatus.CONFIRMED


def test_a_dispute_needs_a_comment_and_a_manager_reissues_the_corrected_statement(
    client, november, generated, customer, representative, manager
):
    statement = generated[customer.organisation_id]
    client.force_login(representative)
    url = reverse("billing:statement_answer", args=[statement.pk])
    response = client.post(url, {"answer": "dispute", "comment": "  "})
    assert response.status_code == 400
    assert "Say what is wrong with the statement." in text(response)
    client.post(url, {"answer": "dispute", "comment": "E2 on the holiday was 2 hours, not 3."})
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DISPUTED
    assert mails("statement_disputed") == [manager.email]
    assert "E2 on the holiday was 2 hours" in render_notification(
        Notification.objects.get(event="statement_disputed")
    ).text

    # The disputed month is open again: the manager corrects the holiday entry.
    from billing import services

    holiday = TimeEntry.objects.get(started_at=msk(2026, 11, 4, 11))
    holiday.duration = datetime.timedelta(hours=2)
    services.time_entry_save(entry=holiday, actor=manager)

    client.force_login(manager)
    change = reverse("admin:billing_statement_change", args=[statement.pk])
    assert "Reissue the statement" in text(client.get(change))
    client.post(reverse("admin:billing_statement_reissue", args=[statement.pk]))
    statement.refresh_from_db()
    assert statement.status == StatementStatus.ISSUED and statement.revision == 2
    # One unapproved hour less: 26.5 - 1 = 25.5 H.
    assert statement.billable_seconds == int(25.5 * H)
    assert statement.unapproved_ooh_seconds == 5 * H
    assert len(mails("statement_ready")) == 2  # first issue and the reissue


def test_agents_cannot_reissue(client, generated, customer, agent):
    statement = generated[customer.organisation_id]
    Statement.objects.filter(pk=statement.pk).update(status=StatementStatus.DISPUTED)
    client.force_login(agent)
    client.post(reverse("admin:billing_statement_reissue", args=[statement.pk]))
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DISPUTED and statement.revision == 1


def test_staff_browse_statements_in_the_admin(client, generated, customer, agent):
    statement = generated[customer.organisation_id]
    client.force_login(agent)
    page = text(client.get(reverse("admin:billing_statement_changelist")))
    assert "2026-11" in page and "26.50" in page
    page = text(client.get(reverse("admin:billing_statement_change", args=[statement.pk])))
    assert "Download CSV" in page and "22.00" in page


def test_the_current_month_cannot_be_frozen_by_the_command(db):
    import time_machine
    from django.core.management import CommandError, call_command

    with time_machine.travel("2026-12-01 10:00:00+03:00", tick=False):
        with pytest.raises(CommandError) as refused:
            call_command("billing_statements", "2026-12")
        assert "not over yet" in str(refused.value)
        assert not Statement.objects.exists()
