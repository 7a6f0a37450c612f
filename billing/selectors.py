"""Reads of billing that more than one place needs; each is scoped where a person reads."""

import datetime

from django.db.models import QuerySet, Sum

from accounts.models import User
from billing.models import OutOfHoursRequest, OutOfHoursStatus, Statement, TimeEntry
from tickets.models import Ticket


def approved_windows(ticket: Ticket) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The ticket's out-of-hours windows approved by both parties, by start.

    The SLA clock reads this: while an approved window is open, the ticket's clock runs
    around the clock.
    """
    rows = OutOfHoursRequest.objects.filter(
        ticket_id=ticket.pk, status=OutOfHoursStatus.APPROVED
    ).order_by("start", "end")
    return list(rows.values_list("start", "end"))


def out_of_hours_requests_of(ticket: Ticket) -> QuerySet[OutOfHoursRequest]:
    # Prefetched, not joined: most tickets have none, and then no query is made for the
    # people (three joined users cost more to compile than the query costs to run).
    return ticket.out_of_hours_requests.prefetch_related(
        "requested_by", "customer_decided_by", "contractor_decided_by"
    ).order_by("-requested_at", "-id")


def statements_visible_to(user: User) -> QuerySet[Statement]:
    """Representatives see their organisation's statements; contractor staff all; nobody
    else any."""
    statements = Statement.objects.select_related("organisation", "responded_by")
    if not user.is_authenticated or not user.is_active:
        return statements.none()
    if user.is_contractor or user.is_superuser:
        return statements
    if user.is_representative:
        return statements.filter(organisation_id=user.organisation_id)
    return statements.none()


def ticket_time_totals(ticket: Ticket) -> dict:
    """Logged time of a ticket in seconds: business, out of hours (approved or not)."""
    totals = ticket.time_entries.aggregate(
        business=Sum("business_seconds"),
        approved=Sum("approved_ooh_seconds"),
        unapproved=Sum("unapproved_ooh_seconds"),
    )
    return {key: value or 0 for key, value in totals.items()}


def time_entries_of(ticket: Ticket) -> QuerySet[TimeEntry]:
    return ticket.time_entries.select_related("agent").order_by("started_at", "id")
