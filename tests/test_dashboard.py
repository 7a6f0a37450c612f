"""The portal's dashboard: the tickets waiting for the customer's move first, then the
other open ones, newest change first; the organisation's only; constant queries."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.helpers import drive_to
from tickets import selectors
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db


def _touched(ticket, minutes_ago: int):
    Ticket.objects.filter(pk=ticket.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )


def test_the_customers_move_comes_first_then_the_rest_newest_first(customer, agent, outsider):
    new_old = factories.TicketFactory(requester=customer, subject="new, older")
    new_recent = factories.TicketFactory(requester=customer, subject="new, recent")
    waiting = factories.TicketFactory(requester=customer, subject="waiting")
    drive_to(waiting, Status.WAITING_FOR_CUSTOMER, agent=agent, customer=customer)
    closed = factories.TicketFactory(requester=customer, subject="closed")
    drive_to(closed, Status.CLOSED, agent=agent, customer=customer)
    factories.TicketFactory(requester=outsider, subject="theirs")
    _touched(new_old, 30)
    _touched(new_recent, 5)
    _touched(waiting, 60)

    customer_turn, others = selectors.open_tickets_for_dashboard(customer)

    assert [t.subject for t in customer_turn] == ["waiting"]
    assert [t.subject for t in others] == ["new, recent", "new, older"]


def test_the_dashboard_shows_at_most_its_limit(customer):
    for n in range(4):
        factories.TicketFactory(requester=customer, subject=f"t{n}")
    assert [len(part) for part in selectors.open_tickets_for_dashboard(customer, limit=3)] == [
        0, 3]


def test_55_tickets_waiting_for_the_customer_leave_the_open_tickets_shown(
    client, customer, agent
):
    waiting = factories.TicketFactory(requester=customer, subject="waiting")
    drive_to(waiting, Status.WAITING_FOR_CUSTOMER, agent=agent, customer=customer)
    _copy(waiting, 54)
    for n in range(3):
        factories.TicketFactory(requester=customer, subject=f"open {n}")
    assert Ticket.objects.filter(status=Status.WAITING_FOR_CUSTOMER).count() == 55
    client.force_login(customer)
    page = client.get("/").content.decode()
    waiting_part, open_part = page.split("Open tickets", 1)
    assert waiting_part.count("waiting-copy") == 50  # 50 of the 55, newest change first
    for n in range(3):
        assert f"open {n}" in open_part
    assert '<span class="count">3</span>' in open_part


def _copy(ticket: Ticket, times: int) -> None:
    for n in range(times):
        copy = Ticket.objects.get(pk=ticket.pk)
        copy.pk = None
        copy.number = f"{ticket.number}-{n}"
        copy.subject = f"waiting-copy {n}"
        copy.save()


def test_the_dashboard_page_makes_the_same_queries_for_3_or_30_tickets(client, customer):
    client.force_login(customer)
    for n in range(3):
        factories.TicketFactory(requester=customer, subject=f"a{n}")
    client.get("/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for n in range(27):
        factories.TicketFactory(requester=customer, subject=f"b{n}")
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(few)
