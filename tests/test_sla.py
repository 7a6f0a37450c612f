"""The SLA clock on real tickets: deadlines, pause and resume, recalculation, sweeps."""

import datetime
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from sla.display import reaction_line, resolution_line
from sla.models import CalendarOverride, SlaEvent, SlaEventKind, SlaPolicy
from tests import factories
from tickets import periodic, services
from tickets.models import Priority, SlaState, Status, TicketType

MSK = ZoneInfo("Europe/Moscow")


def msk(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=MSK)


def file_at(moment, requester, priority=Priority.URGENT, type=TicketType.INCIDENT):
    with time_machine.travel(moment, tick=False):
        return factories.TicketFactory(requester=requester, priority=priority, type=type)


def at(moment, fn, **kwargs):
    with time_machine.travel(moment, tick=False):
        return fn(**kwargs)


def events(ticket) -> list[str]:
    return list(ticket.sla_events.order_by("at", "id").values_list("kind", flat=True))


@pytest.mark.django_db
def test_friday_evening_urgent_incident_is_due_on_monday_morning(customer):
    ticket = file_at(msk(2026, 11, 27, 18, 30), customer)

    assert ticket.reaction_due == msk(2026, 11, 30, 10, 30)
    # 8 business hours: 0.5 on Friday, 7.5 on Monday.
    assert ticket.resolution_due == msk(2026, 11, 30, 17, 30)
    assert events(ticket) == [SlaEventKind.STARTED]
    with time_machine.travel(msk(2026, 11, 27, 18, 31), tick=False):
        assert reaction_line(ticket) == "We will react by 30 Nov 2026, 10:30 (GMT+3)."


@pytest.mark.django_db
def test_ticket_filed_at_night_starts_its_clock_at_ten(customer):
    ticket = file_at(msk(2026, 11, 26, 2, 0), customer, priority=Priority.HIGH)

    assert ticket.reaction_due == msk(2026, 11, 26, 14, 0)


@pytest.mark.django_db
def test_non_incidents_use_the_normal_policy(customer):
    ticket = file_at(
        msk(2026, 11, 26, 11, 0), customer, priority=Priority.URGENT, type=TicketType.CONSULTATION
    )

    assert ticket.priority == Priority.NORMAL
    assert ticket.reaction_due == msk(2026, 11, 26, 19, 0)  # 8 business hours, to the minute


@pytest.mark.django_db
def test_acceptance_records_the_reaction_and_the_business_time_it_took(customer, agent):
    ticket = file_at(msk(2026, 11, 27, 18, 30), customer, priority=Priority.HIGH)

    at(msk(2026, 11, 30, 11, 0), services.ticket_accept, ticket=ticket, actor=agent)

    ticket.refresh_from_db()
    assert ticket.reaction_state == SlaState.MET
    assert ticket.reaction_business_seconds == 90 * 60
    assert reaction_line(ticket) == "Reacted in 1.5 business hours (target 4 business hours)."
    met = ticket.sla_events.get(kind=SlaEventKind.REACTION_MET)
    assert met.business_seconds == 5400


@pytest.mark.django_db
def test_late_acceptance_is_a_breached_reaction(customer, agent):
    ticket = file_at(msk(2026, 11, 30, 10, 0), customer)  # Urgent: react by 11:00

    at(msk(2026, 11, 30, 12, 0), services.ticket_accept, ticket=ticket, actor=agent)

    ticket.refresh_from_db()
    assert ticket.reaction_state == SlaState.BREACHED
    assert SlaEventKind.REACTION_BREACHED in events(ticket)
    assert ticket.reaction_business_seconds == 2 * 3600


@pytest.mark.django_db
def test_waiting_for_the_customer_pauses_and_the_reply_resumes_with_the_time_left(
    customer, agent
):
    ticket = file_at(msk(2026, 11, 30, 10, 0), customer)  # Urgent: resolve in 8 h
    at(msk(2026, 11, 30, 10, 30), services.ticket_accept, ticket=ticket, actor=agent)
    at(
        msk(2026, 11, 30, 12, 0),
        services.ticket_request_info,
        ticket=ticket,
        actor=agent,
        message="Which invoice run?",
    )
    ticket.refresh_from_db()
    assert ticket.resolution_state == SlaState.PAUSED
    assert ticket.resolution_left_seconds == 6 * 3600
    with time_machine.travel(msk(2026, 11, 30, 12, 1), tick=False):
        assert resolution_line(ticket) == (
            "The resolution clock is paused while we wait for your answer."
        )

    # The customer answers the next afternoon, long after the original deadline.
    at(
        msk(2026, 12, 1, 15, 0),
        services.comment_add,
        ticket=ticket,
        author=customer,
        body="The October run.",
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.resolution_state == SlaState.RUNNING
    assert ticket.resolution_due == msk(2026, 12, 2, 12, 0)  # 4 h on Tuesday, 2 h on Wednesday

    # A ticket that waited is never breached the instant it comes back.
    counts = periodic.sla_sweep(now=msk(2026, 12, 1, 15, 1))
    ticket.refresh_from_db()
    assert counts[SlaEventKind.RESOLUTION_BREACHED] == 0
    assert ticket.resolution_state == SlaState.RUNNING
    assert events(ticket) == [
        SlaEventKind.STARTED,
        SlaEventKind.REACTION_MET,
        SlaEventKind.PAUSED,
        SlaEventKind.RESUMED,
    ]


@pytest.mark.django_db
def test_resolved_stops_the_clock_and_reopening_resumes_it(customer, agent):
    ticket = file_at(msk(2026, 11, 30, 10, 0), customer)
    at(msk(2026, 11, 30, 10, 10), services.ticket_accept, ticket=ticket, actor=agent)
    at(msk(2026, 11, 30, 13, 0), services.ticket_resolve, ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    assert ticket.resolution_state == SlaState.MET

    # A question about the resolution the next morning reopens it with 5 hours left.
    at(
        msk(2026, 12, 1, 10, 0),
        services.comment_add,
        ticket=ticket,
        author=customer,
        body="One more question",
    )
    ticket.refresh_from_db()
    assert ticket.resolution_state == SlaState.RUNNING
    assert ticket.resolution_due == msk(2026, 12, 1, 15, 0)


@pytest.mark.django_db
def test_rejected_ticket_stops_both_clocks_without_an_outcome(customer, agent):
    ticket = file_at(msk(2026, 11, 30, 10, 0), customer)
    at(msk(2026, 11, 30, 10, 5), services.ticket_reject, ticket=ticket, actor=agent, reason="Spam")

    periodic.sla_sweep(now=msk(2026, 12, 10, 10, 0))

    ticket.refresh_from_db()
    assert ticket.resolution_state == SlaState.STOPPED
    assert ticket.reaction_state == SlaState.STOPPED
    assert SlaEventKind.RESOLUTION_BREACHED not in events(ticket)
    assert SlaEventKind.REACTION_BREACHED not in events(ticket)


@pytest.mark.django_db
def test_sweep_marks_at_risk_then_breached_once_each(customer):
    ticket = file_at(msk(2026, 11, 30, 10, 0), customer)  # react by 11:00, at risk from 10:45

    assert periodic.sla_sweep(now=msk(2026, 11, 30, 10, 44))[SlaEventKind.REACTION_AT_RISK] == 0
    assert periodic.sla_sweep(now=msk(2026, 11, 30, 10, 45))[SlaEventKind.REACTION_AT_RISK] == 1
    assert periodic.sla_sweep(now=msk(2026, 11, 30, 10, 50))[SlaEventKind.REACTION_AT_RISK] == 0
    assert periodic.sla_sweep(now=msk(2026, 11, 30, 11, 0))[SlaEventKind.REACTION_BREACHED] == 1
    assert periodic.sla_sweep(now=msk(2026, 11, 30, 11, 5))[SlaEventKind.REACTION_BREACHED] == 0

    ticket.refresh_from_db()
    assert ticket.reaction_state == SlaState.BREACHED
    assert events(ticket).count(SlaEventKind.REACTION_BREACHED) == 1


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_sweeps_record_each_event_once():
    customer = factories.CustomerFactory()
    tickets = [file_at(msk(2026, 11, 30, 10, 0), customer) for _ in range(20)]
    barrier = threading.Barrier(2)
    results = []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(periodic.sla_sweep(now=msk(2026, 12, 7, 10, 0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    breached = sum(r[SlaEventKind.REACTION_BREACHED] for r in results)
    assert breached == len(tickets)
    assert SlaEvent.objects.filter(kind=SlaEventKind.REACTION_BREACHED).count() == len(tickets)
    assert SlaEvent.objects.filter(kind=SlaEventKind.RESOLUTION_BREACHED).count() == len(tickets)


@pytest.mark.django_db
def test_policy_change_recomputes_open_tickets_pauses_included(customer, agent):
    ticket = file_at(msk(2026, 11, 30, 10, 0), customer)
    at(msk(2026, 11, 30, 10, 30), services.ticket_accept, ticket=ticket, actor=agent)
    at(
        msk(2026, 11, 30, 12, 0),
        services.ticket_request_info,
        ticket=ticket,
        actor=agent,
        message="Logs, please",
    )
    at(
        msk(2026, 12, 1, 10, 0),
        services.comment_add,
        ticket=ticket,
        author=customer,
        body="Attached",
    )

    SlaPolicy.objects.filter(priority=Priority.URGENT).update(resolution_hours=Decimal(16))
    with time_machine.travel(msk(2026, 12, 1, 10, 30), tick=False):
        assert periodic.sla_recalculate_open(priority=Priority.URGENT) == 1

    ticket.refresh_from_db()
    # 2 h used on Monday, 14 h left from Tuesday 10:00: Tuesday 9 h, Wednesday 5 h.
    assert ticket.resolution_due == msk(2026, 12, 2, 15, 0)
    assert SlaEventKind.RECALCULATED in events(ticket)


@pytest.mark.django_db
def test_calendar_override_moves_open_deadlines(customer):
    ticket = file_at(msk(2026, 11, 27, 18, 30), customer)  # react by Monday 10:30
    CalendarOverride.objects.create(date=datetime.date(2026, 11, 30), kind="day_off")

    with time_machine.travel(msk(2026, 11, 27, 18, 40), tick=False):
        periodic.sla_recalculate_open(note="calendar changed")

    ticket.refresh_from_db()
    assert ticket.reaction_due == msk(2026, 12, 1, 10, 30)


@pytest.mark.django_db
def test_priority_change_recomputes_the_deadlines(customer, agent):
    ticket = file_at(msk(2026, 11, 30, 10, 0), customer, priority=Priority.LOW)
    assert ticket.reaction_due == msk(2026, 12, 2, 16, 0)  # 24 business hours

    at(
        msk(2026, 11, 30, 10, 5),
        services.ticket_change_priority,
        ticket=ticket,
        actor=agent,
        priority=Priority.URGENT,
        reason="Invoices blocked for all subscribers",
    )

    ticket.refresh_from_db()
    assert ticket.reaction_due == msk(2026, 11, 30, 11, 0)


@pytest.mark.django_db
def test_sweep_query_uses_the_partial_index(customer):
    file_at(msk(2026, 11, 30, 10, 0), customer)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM tickets_ticket "
            "WHERE reaction_state IN ('running', 'at_risk') AND reaction_due <= now()"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "sla_reaction_due_idx" in plan



@pytest.mark.django_db
def test_business_time_command_knows_the_managers_overrides(capsys):
    from django.core.management import call_command

    CalendarOverride.objects.create(date=datetime.date(2026, 11, 30), kind="day_off")

    call_command("business_time", "add", "2026-11-27T18:30+03:00", "1")

    assert capsys.readouterr().out.strip() == "2026-12-01T10:30:00+03:00"


@pytest.mark.django_db
def test_override_page_shows_the_official_calendar_for_reference(client, manager):
    client.force_login(manager)

    page = client.get("/admin/sla/calendaroverride/?date__year=2025").content.decode()

    assert "Official calendar of 2025 (RU)" in page
    assert "Wed 31 Dec 2025" in page  # a transferred day off
    assert "Sat 1 Nov 2025" in page  # the official working Saturday


@pytest.mark.django_db
def test_agents_see_policies_but_only_managers_change_them(client, agent, manager):
    policy = SlaPolicy.objects.get(priority=Priority.URGENT)
    url = f"/admin/sla/slapolicy/{policy.pk}/change/"
    data = {"reaction_hours": "2", "resolution_hours": "8"}

    client.force_login(agent)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403

    client.force_login(manager)
    assert client.post(url, data).status_code == 302
    policy.refresh_from_db()
    assert policy.reaction_hours == Decimal(2)


@pytest.mark.django_db
def test_a_sweep_runs_the_same_queries_for_two_tickets_as_for_twelve(customer, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def sweep_of(count: int, filed: datetime.datetime, late: datetime.datetime) -> int:
        with time_machine.travel(filed, tick=False):
            tickets = [factories.TicketFactory(requester=customer) for _ in range(count)]
        with CaptureQueriesContext(connection) as queries:
            counts = periodic.sla_sweep(now=late)
        assert counts[SlaEventKind.REACTION_BREACHED] == count
        breached = SlaEvent.objects.filter(kind=SlaEventKind.REACTION_BREACHED)
        assert {t.pk for t in tickets} <= set(breached.values_list("ticket_id", flat=True))
        return len(queries.captured_queries)

    two = sweep_of(2, msk(2026, 11, 30, 10, 0), msk(2026, 12, 30, 10, 0))
    twelve = sweep_of(12, msk(2027, 2, 1, 10, 0), msk(2027, 3, 1, 10, 0))
    assert two == twelve  # recipients read once, one insert of mail per rule


@pytest.mark.django_db
def test_the_portal_says_when_a_deadline_has_passed_instead_of_promising_the_past(
    customer, agent
):
    ticket = file_at(msk(2026, 11, 30, 10, 0), customer)  # Urgent: react by 11:00, 8 h
    with time_machine.travel(msk(2026, 11, 30, 10, 59), tick=False):
        assert reaction_line(ticket) == "We will react by 30 Nov 2026, 11:00 (GMT+3)."
    with time_machine.travel(msk(2026, 11, 30, 11, 1), tick=False):
        assert reaction_line(ticket) == (
            "Reaction overdue since 30 Nov 2026, 11:00 (GMT+3); we are on it."
        )
    at(msk(2026, 11, 30, 12, 0), services.ticket_accept, ticket=ticket, actor=agent)
    with time_machine.travel(msk(2026, 12, 1, 12, 0), tick=False):
        ticket.refresh_from_db()
        assert resolution_line(ticket) == (
            "Resolution overdue since 30 Nov 2026, 18:00 (GMT+3); we are on it."
        )


@pytest.mark.django_db
def test_a_resolved_ticket_shows_its_resolution_time_against_the_target(customer, agent):
    ticket = file_at(msk(2026, 11, 30, 10, 0), customer)  # Urgent: 8 h to resolve
    at(msk(2026, 11, 30, 10, 30), services.ticket_accept, ticket=ticket, actor=agent)
    at(msk(2026, 11, 30, 13, 30), services.ticket_resolve, ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    assert resolution_line(ticket) == (
        "Resolved in 3.5 business hours (target 8 business hours): met."
    )


@pytest.mark.django_db
def test_resolved_in_keeps_the_target_of_the_policy_that_applied_then(customer, agent):
    ticket = file_at(msk(2026, 11, 30, 10, 0), customer)  # Urgent: 8 h to resolve
    at(msk(2026, 11, 30, 10, 30), services.ticket_accept, ticket=ticket, actor=agent)
    at(msk(2026, 11, 30, 13, 30), services.ticket_resolve, ticket=ticket, actor=agent)
    SlaPolicy.objects.filter(priority=Priority.URGENT).update(resolution_hours=Decimal(2))
    periodic.sla_recalculate_open(priority=Priority.URGENT, note="policy changed")
    ticket.refresh_from_db()
    assert resolution_line(ticket) == (
        "Resolved in 3.5 business hours (target 8 business hours): met."
    )
    outcome = ticket.sla_events.get(kind=SlaEventKind.RESOLUTION_MET)
    assert (outcome.business_seconds, outcome.target_seconds) == (int(3.5 * 3600), 8 * 3600)
