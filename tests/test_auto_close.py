"""Time enforces two rules: unanswered resolved tickets close, and the reopen window ends."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.models import Event, Notification
from tests import factories
from tickets import periodic, services
from tickets.models import Status

MSK = ZoneInfo("Europe/Moscow")


def msk(*args):
    return datetime.datetime(*args, tzinfo=MSK)


@pytest.fixture
def resolved(customer, agent):
    """Resolved on Monday 30 November 2026, 12:00 (five business days: Monday 7 December)."""
    with time_machine.travel(msk(2026, 11, 30, 11, 0), tick=False):
        ticket = factories.TicketFactory(requester=customer)
        services.ticket_accept(ticket=ticket, actor=agent)
    with time_machine.travel(msk(2026, 11, 30, 12, 0), tick=False):
        services.ticket_resolve(ticket=ticket, actor=agent, message="Fixed the tariff.")
    ticket.refresh_from_db()
    return ticket


def sweep(moment):
    with time_machine.travel(moment, tick=False):
        return periodic.auto_close_sweep()


def warnings(ticket):
    return Notification.objects.filter(ticket=ticket, event=Event.AUTO_CLOSE_WARNING)


@pytest.mark.django_db
def test_unanswered_resolved_ticket_is_warned_a_business_day_before_then_closed(resolved):
    assert sweep(msk(2026, 12, 4, 11, 59)) == {"warned": 0, "closed": 0}

    assert sweep(msk(2026, 12, 4, 12, 0)) == {"warned": 1, "closed": 0}  # Friday noon
    assert sweep(msk(2026, 12, 4, 15, 0)) == {"warned": 0, "closed": 0}  # warned once
    assert warnings(resolved).count() == 1
    recipient = warnings(resolved).first()
    assert recipient.to_email == resolved.requester.email

    # The weekend does not count: it closes on Monday 7 December at noon.
    assert sweep(msk(2026, 12, 6, 23, 0)) == {"warned": 0, "closed": 0}
    assert sweep(msk(2026, 12, 7, 12, 0)) == {"warned": 0, "closed": 1}
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED
    event = resolved.events.filter(new_value=Status.CLOSED).get()
    assert event.actor is None
    assert "Closed automatically" in event.reason


@pytest.mark.django_db
def test_a_customer_answer_keeps_the_ticket_open(resolved, customer):
    with time_machine.travel(msk(2026, 12, 3, 10, 0), tick=False):
        services.comment_add(ticket=resolved, author=customer, body="Still broken on one tariff.")

    assert sweep(msk(2026, 12, 10, 12, 0)) == {"warned": 0, "closed": 0}
    resolved.refresh_from_db()
    assert resolved.status == Status.IN_PROGRESS


@pytest.mark.django_db
def test_the_list_says_reopen_is_no_longer_possible_ten_days_after_closing(
    client, resolved, customer
):
    with time_machine.travel(msk(2026, 12, 1, 10, 0), tick=False):
        services.ticket_close(ticket=resolved, actor=customer)
    client.force_login(customer)

    with time_machine.travel(msk(2026, 12, 11, 9, 59), tick=False):
        page = client.get("/tickets/?status=closed").content.decode()
        assert "Reopen no longer possible" not in page
    # No sweep has to run first: the list asks the same rule as the reopen button.
    with time_machine.travel(msk(2026, 12, 11, 10, 1), tick=False):
        page = client.get("/tickets/?status=closed").content.decode()
        assert "Reopen no longer possible" in page


@pytest.mark.django_db
def test_the_auto_close_moments_are_stored_when_resolved_and_cleared_when_reopened(
    resolved, customer
):
    assert resolved.auto_close_at == msk(2026, 12, 7, 12, 0)
    assert resolved.auto_close_warn_at == msk(2026, 12, 4, 12, 0)
    with time_machine.travel(msk(2026, 12, 1, 10, 0), tick=False):
        services.ticket_reopen(ticket=resolved, actor=customer, message="Not yet")
    resolved.refresh_from_db()
    assert (resolved.auto_close_at, resolved.auto_close_warn_at) == (None, None)
