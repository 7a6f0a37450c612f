"""One explicit use case per change: what each transition tells the SLA clock, optional
work that cannot undo a change, and the rules every way in asks the same way."""

import datetime
import logging
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from moderation import services as moderation
from sla.models import RecalculationRequest, SlaEventKind, SlaPolicy
from tests import factories
from tests.helpers import drive_to
from tickets import periodic, services
from tickets.models import Priority, Status, TicketType

pytestmark = pytest.mark.django_db

CLOCK = {
    SlaEventKind.STARTED,
    SlaEventKind.PAUSED,
    SlaEventKind.RESUMED,
    SlaEventKind.STOPPED,
    SlaEventKind.REACTION_MET,
    SlaEventKind.RESOLUTION_MET,
}


def clock_events(ticket) -> list[str]:
    return [e.kind for e in ticket.sla_events.order_by("id") if e.kind in CLOCK]


def new_events(ticket, before: int) -> list[str]:
    return clock_events(ticket)[before:]


# Each transition, and what it tells the clock: by name, never guessed from statuses.
@pytest.mark.parametrize(
    ("start", "name", "kwargs", "actor", "told"),
    [
        (Status.NEW, "accept", {}, "agent", [SlaEventKind.REACTION_MET]),
        (Status.IN_PROGRESS, "request_info", {"message": "Which server?"}, "agent", ["paused"]),
        (Status.WAITING_FOR_CUSTOMER, "resume", {}, "customer", ["resumed"]),
        (Status.IN_PROGRESS, "resolve", {}, "agent", ["stopped", SlaEventKind.RESOLUTION_MET]),
        (Status.RESOLVED, "close", {}, "customer", []),
        (Status.RESOLVED, "reopen", {}, "customer", ["resumed"]),
        (Status.NEW, "reject", {"reason": "Out of scope"}, "agent", ["stopped"]),
        (Status.IN_PROGRESS, "mark_duplicate", {"original": "original"}, "agent", ["stopped"]),
    ],
)
def test_each_transition_tells_the_sla_clock_what_happened(
    start, name, kwargs, actor, told, customer, agent
):
    with time_machine.travel(datetime.datetime(2026, 11, 30, 8, 0, tzinfo=datetime.UTC)):
        ticket = factories.TicketFactory(requester=customer)
        drive_to(ticket, start, agent=agent, customer=customer)
        if kwargs.get("original"):
            kwargs = {"original": factories.TicketFactory(requester=customer)}
        before = len(clock_events(ticket))
        people = {"agent": agent, "customer": customer}
        services.TRANSITION_SERVICES[name](ticket=ticket, actor=people[actor], **kwargs)
    assert new_events(ticket, before) == told


def test_a_failing_optional_step_is_logged_and_the_ticket_is_still_filed(
    customer, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("word lists unavailable")

    monkeypatch.setattr(moderation, "flag_ticket", broken)
    with caplog.at_level(logging.ERROR, logger="helpdesk.optional"):
        ticket = services.ticket_file(
            requester=customer, subject="Invoices", body="Not sent", type=TicketType.INCIDENT
        )
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.sla_events.filter(kind=SlaEventKind.STARTED).exists()
    assert ticket.notifications.exists()  # the confirmation and the alert are written
    assert "moderation flags of a filed ticket" in caplog.text


def test_a_failing_moderation_review_does_not_undo_a_rejection(customer, agent, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(moderation, "ticket_flags_mark_reviewed", broken)
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_reject(ticket=ticket, actor=agent, reason="Out of scope")
    ticket.refresh_from_db()
    assert ticket.status == Status.REJECTED


def test_the_rejection_preset_is_stored_and_offers_the_split_in_any_language(
    client, customer, agent
):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_reject(
        ticket=ticket, actor=agent, reason="Bitte getrennt einreichen", preset="several_tasks"
    )
    ticket.refresh_from_db()
    assert ticket.reject_preset == "several_tasks"
    client.force_login(customer)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "File the tasks as separate tickets" in page


def test_a_customer_comment_in_the_portal_reopens_a_recently_closed_ticket(
    client, customer, agent
):
    ticket = factories.TicketFactory(requester=customer)
    drive_to(ticket, Status.CLOSED, agent=agent, customer=customer)
    client.force_login(customer)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "commenting reopens it" in page

    response = client.post(
        f"/tickets/{ticket.number}/comment/",
        {"body": "The problem is back.", "expected_status": Status.CLOSED},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.comments.last().body == "The problem is back."


def test_past_the_reopen_window_the_portal_refuses_a_comment_as_mail_in_does(
    client, customer, agent, time_machine
):
    ticket = factories.TicketFactory(requester=customer)
    drive_to(ticket, Status.CLOSED, agent=agent, customer=customer)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=11))
    client.force_login(customer)
    response = client.post(
        f"/tickets/{ticket.number}/comment/",
        {"body": "Again?", "expected_status": Status.CLOSED},
    )
    assert response.status_code == 400
    assert "can no longer be reopened" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_a_policy_change_in_the_admin_is_recalculated_by_a_worker_not_in_the_request(
    client, manager, customer, django_capture_on_commit_callbacks
):
    ticket = factories.TicketFactory(
        requester=customer, type=TicketType.INCIDENT, priority=Priority.URGENT
    )
    due = ticket.reaction_due
    policy = SlaPolicy.objects.get(priority=Priority.URGENT)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            f"/admin/sla/slapolicy/{policy.pk}/change/",
            {"reaction_hours": "2", "resolution_hours": "8"},
        )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.reaction_due == due  # nothing recomputed inside the web request
    request = RecalculationRequest.objects.get()
    assert (request.priority, request.done_at) == (Priority.URGENT, None)

    assert periodic.sla_recalculations_run() == 1  # what the worker (or the sweep) runs
    ticket.refresh_from_db()
    assert ticket.reaction_due > due
    request.refresh_from_db()
    assert request.done_at is not None and request.tickets_done == 1
    assert periodic.sla_recalculations_run() == 0
    assert SlaPolicy.objects.get(pk=policy.pk).reaction_hours == Decimal(2)


def test_an_urgent_incident_shows_as_a_banner_on_the_staff_side_until_accepted(
    client, customer, agent
):
    urgent = factories.TicketFactory(
        requester=customer, type=TicketType.INCIDENT, priority=Priority.URGENT,
        subject="Billing is down for everyone",
    )
    client.force_login(agent)
    page = client.get("/admin/").content.decode()
    assert "urgent-banner" in page and urgent.number in page
    services.ticket_accept(ticket=urgent, actor=agent)
    assert "urgent-banner" not in client.get("/admin/").content.decode()
    client.force_login(customer)
    assert "urgent-banner" not in client.get("/").content.decode()


def test_the_urgent_banner_costs_one_query_however_many_wait(client, customer, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def banner_queries(count):
        for n in range(count):
            factories.TicketFactory(requester=customer, type=TicketType.INCIDENT,
                                    priority=Priority.URGENT, subject=f"Down {n}")
        with CaptureQueriesContext(connection) as captured:
            client.get("/admin/")
        return [q for q in captured if "tickets_ticket" in q["sql"]]

    client.force_login(agent)
    assert len(banner_queries(1)) == len(banner_queries(4))


def test_the_staff_side_carries_the_helpdesks_name_and_tickets_come_first(client, agent):
    client.force_login(agent)
    page = client.get("/admin/").content.decode()
    assert "Helpdesk · support staff" in page and "Django administration" not in page
    apps = [app["app_label"] for app in client.get("/admin/").context["app_list"]]
    assert apps[0] == "tickets"
