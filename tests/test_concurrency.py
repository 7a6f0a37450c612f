"""Two real database connections at once: row locks, not luck, decide the outcome."""

import re
import threading

import pytest
from django.db import connection

from tests import factories
from tickets import services
from tickets.models import EventKind, Status, Ticket, TicketEvent


def _run_at_once(count, work, prepare=lambda i: None):
    """In ``count`` threads, each on its own connection: ``prepare(i)``, wait for all,
    then ``work(i, prepared)`` released together. Returns ("ok", value) / ("error", exc)."""
    barrier = threading.Barrier(count, timeout=10)
    results = [None] * count

    def target(i):
        try:
            prepared = prepare(i)
            barrier.wait()
            results[i] = ("ok", work(i, prepared))
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung on a lock"
    return results


@pytest.mark.django_db(transaction=True)
def test_two_agents_accepting_at_once_one_wins_the_other_is_told_it_changed():
    ticket = factories.TicketFactory()
    agents = [factories.AgentFactory(), factories.AgentFactory()]

    def load(i):
        # Each agent has the ticket open as "new" before either clicks Accept.
        return Ticket.objects.get(pk=ticket.pk)

    def accept(i, fresh):
        return services.ticket_accept(ticket=fresh, actor=agents[i])

    results = _run_at_once(2, accept, prepare=load)

    wins = [value for outcome, value in results if outcome == "ok"]
    refusals = [value for outcome, value in results if outcome == "error"]
    assert len(wins) == 1
    assert len(refusals) == 1
    assert isinstance(refusals[0], services.ActionRefused), repr(refusals[0])
    assert refusals[0].code == "concurrent"
    assert ticket.number in refusals[0].message
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.assignee == wins[0].assignee
    status_events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS)
    assert status_events.count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNEE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_eight_tickets_filed_at_once_get_eight_distinct_sequential_numbers():
    organisation = factories.OrganisationFactory()
    customers = [factories.CustomerFactory(organisation=organisation) for _ in range(8)]

    def file(i, _):
        return services.ticket_file(
            requester=customers[i],
            subject=f"Parallel filing {i}",
            body="Filed at the same moment as seven others.",
            type="incident",
            priority=2,
        ).number

    results = _run_at_once(8, file)

    assert [outcome for outcome, _ in results] == ["ok"] * 8, results
    numbers = sorted(number for _, number in results)
    sequence = [int(re.fullmatch(r"HD-(\d{4})-(\d{5})", n).group(2)) for n in numbers]
    assert sequence == list(range(sequence[0], sequence[0] + 8))
    assert Ticket.objects.filter(organisation=organisation).count() == 8
