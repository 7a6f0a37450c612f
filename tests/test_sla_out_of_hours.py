"""An approved out-of-hours window makes the ticket's SLA clock run around the clock."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing import services as billing
from tests import factories
from tickets import services
from tickets.models import Priority

MSK = ZoneInfo("Europe/Moscow")


def msk(*args):
    return datetime.datetime(*args, tzinfo=MSK)


@pytest.mark.django_db
def test_approving_a_night_window_brings_the_resolution_deadline_forward(
    customer, representative, agent, manager
):
    with time_machine.travel(msk(2026, 11, 27, 17, 0), tick=False):
        ticket = factories.TicketFactory(requester=customer, priority=Priority.URGENT)
        services.ticket_accept(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    # 8 business hours: 2 on Friday, 6 on Monday.
    assert ticket.resolution_due == msk(2026, 11, 30, 16, 0)

    with time_machine.travel(msk(2026, 11, 27, 17, 30), tick=False):
        request = billing.ooh_request_create(
            ticket=ticket,
            actor=representative,
            start=msk(2026, 11, 27, 19, 0),
            end=msk(2026, 11, 28, 3, 0),
            reason="Invoices must go out tonight",
        )
        billing.ooh_request_approve(request=request, actor=manager)

    ticket.refresh_from_db()
    # 2 business hours on Friday, then 6 of the approved night window.
    assert ticket.resolution_due == msk(2026, 11, 28, 1, 0)
    assert ticket.sla_events.filter(kind="recalculated").exists()
