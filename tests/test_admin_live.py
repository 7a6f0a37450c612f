"""What a staff page keeps current while it is open: the Urgent banner on every page and
the triage dashboard's counts, from one staff-only endpoint (admin:live)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tickets import services
from tickets.models import Priority

pytestmark = pytest.mark.django_db

LIVE = reverse("admin:live")


def test_the_banner_names_the_urgent_incidents_nobody_accepted_yet(client, agent, customer):
    client.force_login(agent)
    assert client.get(LIVE).json()["banner"] == ""

    urgent = factories.TicketFactory(requester=customer, priority=Priority.URGENT,
                                     subject="Payments are down")
    data = client.get(LIVE).json()
    assert urgent.number in data["banner"] and "Payments are down" in data["banner"]
    assert "counts" not in data  # only the dashboard asks for them

    services.ticket_accept(ticket=urgent, actor=agent)
    assert client.get(LIVE).json()["banner"] == ""


def test_the_dashboard_counts_come_with_the_banner_when_asked(client, agent, customer):
    client.force_login(agent)
    factories.TicketFactory(requester=customer)
    factories.TicketFactory(requester=customer, priority=Priority.URGENT)
    counts = client.get(LIVE, {"counts": 1}).json()["counts"]
    assert counts["unassigned"] == 2 and counts["urgent_new"] == 1 and counts["mine"] == 0
    page = client.get(reverse("admin:index")).content.decode()
    assert 'class="dashboard-live text-xs" hidden' in page  # the script shows it
    assert f'data-live-url="{LIVE}"' in page


def test_every_staff_page_carries_the_banner_slot_and_its_script(client, agent):
    client.force_login(agent)
    page = client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert 'id="staff-live-slot"' in page and f'data-live-url="{LIVE}"' in page
    assert "js/admin_live.js" in page


def test_only_contractor_staff_may_poll(client, customer, agent):
    assert client.get(LIVE).status_code == 302  # to the admin's login
    client.force_login(customer)
    assert client.get(LIVE).status_code == 302  # customers never reach the staff admin
    client.force_login(agent)
    response = client.get(LIVE)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_a_poll_costs_the_same_whatever_the_number_of_urgent_tickets(client, agent, customer):
    client.force_login(agent)
    factories.TicketFactory(requester=customer, priority=Priority.URGENT)
    client.get(LIVE, {"counts": 1})
    with CaptureQueriesContext(connection) as one:
        client.get(LIVE, {"counts": 1})
    for _ in range(6):
        factories.TicketFactory(requester=customer, priority=Priority.URGENT)
    with CaptureQueriesContext(connection) as seven:
        client.get(LIVE, {"counts": 1})
    assert len(one) == len(seven)
