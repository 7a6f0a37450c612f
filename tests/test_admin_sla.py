"""What agents see of the SLA in the staff admin."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from tests.helpers import result_list
from tickets import periodic, services
from tickets.admin import TicketAdmin
from tickets.models import Priority

MSK = ZoneInfo("Europe/Moscow")


def msk(*args):
    return datetime.datetime(*args, tzinfo=MSK)


@pytest.fixture
def tickets(customer, agent):
    with time_machine.travel(msk(2026, 11, 30, 10, 0), tick=False):
        late = factories.TicketFactory(requester=customer, priority=Priority.URGENT, subject="Late")
        fine = factories.TicketFactory(requester=customer, priority=Priority.LOW, subject="Fine")
        waiting = factories.TicketFactory(requester=customer, subject="Waiting")
        services.ticket_accept(ticket=waiting, actor=agent)
        services.ticket_request_info(ticket=waiting, actor=agent, message="Logs?")
    periodic.sla_sweep(now=msk(2026, 11, 30, 12, 0))
    return late, fine, waiting


@pytest.mark.django_db
def test_changelist_shows_business_time_left_coloured_by_state(client, agent, tickets):
    client.force_login(agent)
    with time_machine.travel(msk(2026, 11, 30, 12, 0), tick=False):
        page = client.get("/admin/tickets/ticket/").content.decode()

    assert '<span class="sla sla-breached">1.0 h overdue</span>' in page
    assert '<span class="sla sla-running">22.0 h left</span>' in page
    assert '<span class="sla sla-paused">paused, 40.0 h left</span>' in page


@pytest.mark.django_db
def test_changelist_filters_breached_tickets_and_sorts_by_deadline(client, agent, tickets):
    late, fine, waiting = tickets
    client.force_login(agent)

    page = client.get("/admin/tickets/ticket/?sla=breached").content.decode()
    assert late.number in page.split('id="result_list"')[0]  # Urgent: the banner names it
    rows = result_list(page)
    assert late.number in rows and fine.number not in rows and waiting.number not in rows

    # Sort by the "SLA left" column (after the bulk actions' checkbox column).
    column = 1 + TicketAdmin.list_display.index("sla_left")
    rows = result_list(client.get(f"/admin/tickets/ticket/?o={column}").content.decode())
    assert rows.index(late.number) < rows.index(fine.number)


@pytest.mark.django_db
def test_changelist_query_count_does_not_grow_with_the_page(
    client, agent, customer, django_assert_max_num_queries
):
    client.force_login(agent)
    for _ in range(3):
        factories.TicketFactory(requester=customer)
    with django_assert_max_num_queries(11) as small:
        client.get("/admin/tickets/ticket/")
    for _ in range(30):
        factories.TicketFactory(requester=customer)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/admin/tickets/ticket/")


@pytest.mark.django_db
def test_ticket_page_shows_the_sla_timeline(client, agent, tickets):
    late, _fine, _waiting = tickets
    client.force_login(agent)

    page = client.get(f"/admin/tickets/ticket/{late.pk}/change/").content.decode()

    assert "SLA timeline" in page
    assert "Reaction breached" in page
    assert "Reaction due" in page and "30 Nov 2026, 11:00 (GMT+3)" in page


# --- in the reader's language ----------------------------------------------------------


@pytest.mark.django_db
def test_the_override_page_names_the_official_holidays_in_the_readers_language(
    client, manager
):
    client.force_login(manager)
    url = "/admin/sla/calendaroverride/?date__year=2026"

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    russian = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "New Year Holidays" in english and "Новогодние каникулы" not in english
    assert "Новогодние каникулы" in russian and "New Year Holidays" not in russian
    assert "День Победы" in russian


def test_the_sla_timeline_says_why_the_deadlines_moved(client, agent, tickets):
    _late, fine, _waiting = tickets
    services.ticket_change_priority(
        ticket=fine, actor=agent, priority=Priority.HIGH, reason="Production is down."
    )
    client.force_login(agent)

    page = client.get(f"/admin/tickets/ticket/{fine.pk}/change/").content.decode()

    timeline = page.split('id="ticket-sla-heading"')[1].split("</fieldset>")[0]
    assert "Deadlines recalculated" in timeline
    assert '<span class="muted">(priority changed)</span>' in timeline
