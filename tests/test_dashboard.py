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

    shown = [t.subject for t in selectors.open_tickets_for_dashboard(customer)]

    assert shown == ["waiting", "new, recent", "new, older"]


def test_the_dashboard_shows_at_most_its_limit(customer):
    for n in range(4):
        factories.TicketFactory(requester=customer, subject=f"t{n}")
    assert len(selectors.open_tickets_for_dashboard(customer, limit=3)) == 3


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
