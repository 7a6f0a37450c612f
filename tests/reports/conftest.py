"""A hand-computed scenario: six tickets of two organisations around November 2026.

All times are Moscow time (the calendar's, GMT+3). Reaction times are in business hours
(weekdays 10:00-19:00; 4 November 2026 is Unity Day, a holiday).

Alpha Billing
  T0  15 Oct 12:00  Urgent incident              outside the November-December reports
  T1  Mon 30 Nov 10:00  Urgent incident  accepted 10:30 (met, 0.5 h), resolved 11:00
                        (met), closed by the customer 12:00
  T2  Mon 30 Nov 10:00  Urgent incident  accepted 12:00 (breached, 2 h; due 11:00),
                        resolved Tue 1 Dec 12:00 (breached; due 30 Nov 18:00) - still
                        "resolved", so open
  T3  Fri 27 Nov 18:30  High incident    accepted Mon 30 Nov 11:00 (met, 0.5 + 1 = 1.5 h),
                        in progress
  T4  Tue 1 Dec 01:00   Consultation     new; 30 Nov 22:00 in UTC, a December ticket in
                        Moscow
Beta Utilities
  T5  Tue 3 Nov 18:00   Low incident     accepted Thu 5 Nov 11:00 (met, 1 h + holiday +
                        1 h = 2 h), rejected 12:00
  T6  Tue 1 Dec 10:00   High incident    new; the sweep at 15:00 breaches the reaction
                        (due 14:00)

November: filed 4, reactions met 3 (T1, T3, T5), breached 1 (T2) -> 75 %, median of
0.5, 2, 1.5, 2 h = 1.75 h; resolutions met 1 (T1), breached 1 (T2).
December: filed 2, met 0, breached 1 (T6) -> 0 %, no median.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test.utils import CaptureQueriesContext

from tests import factories
from tickets import periodic, services
from tickets.models import Priority, Ticket, TicketType

MSK = ZoneInfo("Europe/Moscow")


def msk(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=MSK)


def file_at(moment, requester, priority=Priority.NORMAL, type=TicketType.INCIDENT) -> Ticket:
    with time_machine.travel(moment, tick=False):
        return factories.TicketFactory(requester=requester, priority=priority, type=type)


def at(moment, fn, **kwargs):
    with time_machine.travel(moment, tick=False):
        return fn(**kwargs)


@dataclass
class Scenario:
    alpha: object
    beta: object
    tickets: dict


@pytest.fixture
def scenario(db, agent) -> Scenario:
    alpha = factories.OrganisationFactory(name="Alpha Billing")
    beta = factories.OrganisationFactory(name="Beta Utilities")
    ann = factories.CustomerFactory(organisation=alpha)
    bob = factories.CustomerFactory(organisation=beta)
    t = {}
    t[0] = file_at(msk(2026, 10, 15, 12, 0), ann, Priority.URGENT)

    t[1] = file_at(msk(2026, 11, 30, 10, 0), ann, Priority.URGENT)
    at(msk(2026, 11, 30, 10, 30), services.ticket_accept, ticket=t[1], actor=agent)
    at(msk(2026, 11, 30, 11, 0), services.ticket_resolve, ticket=t[1], actor=agent)
    at(msk(2026, 11, 30, 12, 0), services.ticket_close, ticket=t[1], actor=ann)

    t[2] = file_at(msk(2026, 11, 30, 10, 0), ann, Priority.URGENT)
    at(msk(2026, 11, 30, 12, 0), services.ticket_accept, ticket=t[2], actor=agent)

    t[3] = file_at(msk(2026, 11, 27, 18, 30), ann, Priority.HIGH)
    at(msk(2026, 11, 30, 11, 0), services.ticket_accept, ticket=t[3], actor=agent)

    t[4] = file_at(msk(2026, 12, 1, 1, 0), ann, type=TicketType.CONSULTATION)

    t[5] = file_at(msk(2026, 11, 3, 18, 0), bob, Priority.LOW)
    at(msk(2026, 11, 5, 11, 0), services.ticket_accept, ticket=t[5], actor=agent)
    at(
        msk(2026, 11, 5, 12, 0), services.ticket_reject, ticket=t[5], actor=agent,
        reason="Out of the contract's scope.",
    )

    t[6] = file_at(msk(2026, 12, 1, 10, 0), bob, Priority.HIGH)
    at(msk(2026, 12, 1, 12, 0), services.ticket_resolve, ticket=t[2], actor=agent)
    periodic.sla_sweep(now=msk(2026, 12, 1, 15, 0))
    for ticket in t.values():
        ticket.refresh_from_db()
    return Scenario(alpha=alpha, beta=beta, tickets=t)


@pytest.fixture
def count_queries(django_db_blocker):
    from django.db import connection

    def run(fn) -> tuple[int, object]:
        with CaptureQueriesContext(connection) as captured:
            result = fn()
        return len(captured), result

    return run
