"""The benchmark tools keep working: a small seeding, then every benchmarked page once.

The benchmarks run on demand against their own databases; here they run on the test
database at a tiny size, so a change of the models or the pages that breaks them fails
the build instead of the next measurement.
"""

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import pages_bench  # noqa: E402
import seed  # noqa: E402

from sla.models import SlaEvent, SlaState  # noqa: E402
from tickets.models import OPEN_STATUSES, Ticket, TicketNumberCounter  # noqa: E402

pytestmark = pytest.mark.django_db

TICKETS = 60


@pytest.fixture
def seeded():
    rnd = random.Random(3)  # noqa: S311 - test data
    people = seed.seed_people(rnd)
    seed.seed_tickets(TICKETS, people, rnd)
    return people


def test_seeding_fills_numbers_deadlines_and_the_counter(seeded):
    tickets = list(Ticket.objects.all())
    assert len(tickets) == TICKETS
    assert all(t.number.startswith("HD-") for t in tickets)
    assert len({t.number for t in tickets}) == TICKETS
    for counter in TicketNumberCounter.objects.all():
        numbers = [t.number for t in tickets if t.number.startswith(f"HD-{counter.year}-")]
        assert max(int(n.rsplit("-", 1)[1]) for n in numbers) == counter.last
    assert all(t.reaction_due and t.reaction_risk_at <= t.reaction_due for t in tickets)
    assert all(t.resolution_state != SlaState.RUNNING or t.resolution_due for t in tickets)
    assert any(t.status in OPEN_STATUSES for t in tickets)
    assert SlaEvent.objects.filter(kind="started").count() == TICKETS


def test_every_benchmarked_page_answers_as_expected(seeded):
    from accounts.models import User

    rnd = random.Random(1)  # noqa: S311 - picks pages
    staff = User.objects.get(email=pages_bench.STAFF)
    customer = User.objects.get(email=pages_bench.CUSTOMER)
    clients = {"staff": pages_bench.logged_in(staff), "customer": pages_bench.logged_in(customer)}
    for page in pages_bench.pages(staff, customer, rnd):
        row = pages_bench.measure(page, clients[page.who], 1, rnd)
        assert row["queries"] > 0, page.name
