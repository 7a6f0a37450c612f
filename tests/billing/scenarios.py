"""Months of logged time whose statements are computed by hand in the comments.

Business hours: Monday-Friday 10:00-19:00 Moscow time (GMT+3), minus Russian holidays.
H = one hour = 3600 s. Billable total = business + 2 x approved out-of-hours + unapproved
out-of-hours, of billable entries only.
"""

import datetime
from dataclasses import dataclass

import time_machine

from billing import services
from billing.models import Activity, TimeEntry, UpdateSchedule
from tests import factories
from tests.billing.conftest import msk
from tickets.models import Priority, TicketType

H = 3600


def log(ticket, agent, start, hours, *, billable=True, activity=Activity.INCIDENT_WORK):
    return services.time_entry_save(
        entry=TimeEntry(
            ticket=ticket, started_at=start, duration=datetime.timedelta(hours=hours),
            description="Work on the ticket", billable=billable, activity=activity,
        ),
        actor=agent,
    )


def approved_window(ticket, start, end, *, agent, representative, manager):
    """A window asked by the agent (after the fact is allowed for the contractor) and
    approved by both parties."""
    ooh = services.ooh_request_create(
        ticket=ticket, actor=agent, start=start, end=end, reason="Night work"
    )
    services.ooh_request_approve(request=ooh, actor=representative)
    services.ooh_request_approve(request=ooh, actor=manager)
    return ooh


def declined_window(ticket, start, end, *, agent, manager):
    ooh = services.ooh_request_create(
        ticket=ticket, actor=agent, start=start, end=end, reason="Holiday work"
    )
    services.ooh_request_decline(request=ooh, actor=manager, comment="No")
    return ooh


@dataclass
class November:
    incident: object
    update: object
    consultation: object
    other_ticket: object


def november_2026(*, customer, representative, outsider, agent, manager) -> November:
    """Organisation A's November 2026 (and a neighbour's, and the months around it).

    Ticket 1, incident; approved windows Tue 3 Nov 19:00-23:00 and Fri 6 Nov
    20:00-Sat 7 Nov 01:00; a declined request for Wed 4 Nov 10:00-16:00.
      E1 Tue 3 Nov 17:00, 4 h:  17-19 business 2 H; 19-21 inside the window: approved 2 H.
      E2 Wed 4 Nov 11:00, 3 h:  National Unity Day (a holiday), all out of hours; the
                                request was declined: unapproved 3 H.
      E3 Fri 6 Nov 18:00, 8 h:  18-19 business 1 H; 19:00-02:00 out of hours 7 H, of
                                which 20:00-01:00 approved 5 H, 19-20 + 01-02 unapproved 2 H.
      E4 Mon 9 Nov 10:00, 1.5 h, not billable: not billed 1.5 H.
      -> business 3 H, approved 7 H, unapproved 5 H,
         billable 3 + 2 x 7 + 5 = 22 H, not billed 1.5 H, 4 entries.
      Outside November (Moscow time): Sat 31 Oct 23:00 2 h (October), and Tue 1 Dec
      01:00 MSK 1 h, which is still Mon 30 Nov 22:00 in UTC (December).

    Ticket 2, update installation scheduled Fri 20 Nov 19:00-22:00 (estimate 2 h), its
    window approved:
      E5 Fri 20 Nov 18:30, 2 h: 18:30-19:00 business 0.5 H; 19:00-20:30 approved 1.5 H.
      E6 Mon 30 Nov 23:30, 1 h: out of hours, past midnight into December, no window:
                                unapproved 1 H; it starts in November, so it counts there.
      -> business 0.5 H, approved 1.5 H, unapproved 1 H,
         billable 0.5 + 2 x 1.5 + 1 = 4.5 H, 2 entries.

    Ticket 3, consultation:
      E7 Thu 26 Nov 10:00, 1 h, not billable: not billed 1 H.
      -> billable 0 H, not billed 1 H.

    Statement of November 2026: 3 tickets;
      business 3 + 0.5 = 3.5 H; approved 7 + 1.5 = 8.5 H; unapproved 5 + 1 = 6 H;
      billable 22 + 4.5 + 0 = 26.5 H (= 3.5 + 2 x 8.5 + 6); not billed 1.5 + 1 = 2.5 H.

    Organisation B (the outsider's): Thu 12 Nov 12:00, 2 h, business: its own statement,
    never in A's.
    """
    with time_machine.travel(msk(2026, 10, 30, 10), tick=False):
        incident = factories.TicketFactory(
            requester=customer, type=TicketType.INCIDENT, priority=Priority.HIGH,
            subject="Invoices are not generated",
        )
        update = factories.TicketFactory(
            requester=customer, type=TicketType.UPDATE_INSTALLATION, subject="Install 5.2",
        )
        consultation = factories.TicketFactory(
            requester=customer, type=TicketType.CONSULTATION, subject="How to set up tariffs",
        )
        other = factories.TicketFactory(requester=outsider, subject="Their ticket")
        people = {"agent": agent, "representative": representative, "manager": manager}
        approved_window(incident, msk(2026, 11, 3, 19), msk(2026, 11, 3, 23), **people)
        approved_window(incident, msk(2026, 11, 6, 20), msk(2026, 11, 7, 1), **people)
        declined_window(incident, msk(2026, 11, 4, 10), msk(2026, 11, 4, 16), agent=agent,
                        manager=manager)
        UpdateSchedule.objects.create(
            ticket=update, window_start=msk(2026, 11, 20, 19), window_end=msk(2026, 11, 20, 22),
            estimate_hours=2, agreed_with=representative, updated_by=agent,
        )
        approved_window(update, msk(2026, 11, 20, 19), msk(2026, 11, 20, 22), **people)

    log(incident, agent, msk(2026, 10, 31, 23), 2)
    log(incident, agent, msk(2026, 11, 3, 17), 4)
    log(incident, agent, msk(2026, 11, 4, 11), 3)
    log(incident, agent, msk(2026, 11, 6, 18), 8)
    log(incident, agent, msk(2026, 11, 9, 10), 1.5, billable=False)
    log(incident, agent, msk(2026, 12, 1, 1), 1)
    log(update, agent, msk(2026, 11, 20, 18, 30), 2, activity=Activity.UPDATE_INSTALLATION)
    log(update, agent, msk(2026, 11, 30, 23, 30), 1, activity=Activity.UPDATE_INSTALLATION)
    log(consultation, agent, msk(2026, 11, 26, 10), 1, billable=False,
        activity=Activity.CONSULTATION)
    log(other, agent, msk(2026, 11, 12, 12), 2)
    return November(incident, update, consultation, other)


def new_year(*, customer, representative, agent, manager):
    """Organisation A around the New Year holidays.

    December 2025:
      Tue 30 Dec 2025 18:00, 2 h: 18-19 business 1 H; 19-20 unapproved 1 H.
      Wed 31 Dec 2025 18:00, 7 h: a transferred day off, so all 7 H out of hours,
                                  unapproved; it runs into 1 January but starts in December.
      -> business 1 H, approved 0, unapproved 8 H, billable 1 + 0 + 8 = 9 H.
    January 2026 (holidays 1-8 January, 9 January a transferred day off); window approved
    Thu 8 Jan 09:00-13:00:
      Thu 8 Jan 10:00, 2 h:  a holiday, inside the window: approved 2 H.
      Fri 9 Jan 15:00, 2 h:  transferred day off, no window: unapproved 2 H.
      Mon 12 Jan 09:00, 2 h: 09-10 before hours, unapproved 1 H; 10-11 business 1 H.
      -> business 1 H, approved 2 H, unapproved 3 H, billable 1 + 2 x 2 + 3 = 8 H.
    """
    with time_machine.travel(msk(2025, 12, 29, 12), tick=False):
        ticket = factories.TicketFactory(
            requester=customer, priority=Priority.URGENT, subject="Year-end closing fails"
        )
        approved_window(ticket, msk(2026, 1, 8, 9), msk(2026, 1, 8, 13), agent=agent,
                        representative=representative, manager=manager)
    log(ticket, agent, msk(2025, 12, 30, 18), 2)
    log(ticket, agent, msk(2025, 12, 31, 18), 7)
    log(ticket, agent, msk(2026, 1, 8, 10), 2)
    log(ticket, agent, msk(2026, 1, 9, 15), 2)
    log(ticket, agent, msk(2026, 1, 12, 9), 2)
    return ticket
