"""Filing a ticket: the customer's first word, and the start of both SLA clocks."""

from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from core.optional import optional
from moderation import services as moderation
from sla import services as sla
from tickets import notify, rules
from tickets.attachments import inspected_or_refused
from tickets.models import (
    Channel,
    EventKind,
    LinkKind,
    Priority,
    Ticket,
    TicketNumberCounter,
    TicketType,
)
from tickets.services._common import history, store_files
from tickets.services.links import ticket_link


def effective_priority(*, type: str, priority: int | None) -> int:
    """Customers choose a priority only for Incidents; every other type gets Normal."""
    if type != TicketType.INCIDENT or priority not in Priority.values:
        return Priority.NORMAL
    return int(priority)


def _next_number() -> str:
    """The year's next number, in one statement: an upsert that returns the new value.
    Its row lock is held to the end of the filing transaction, so two tickets filed at
    once can never get the same number, and a rolled-back filing gives its number back."""
    year = timezone.localdate().year
    table, year_column, last_column = (
        connection.ops.quote_name(name)
        for name in (TicketNumberCounter._meta.db_table, "year", "last")
    )
    upsert = (
        f"INSERT INTO {table} ({year_column}, {last_column}) VALUES (%s, 1) "  # noqa: S608
        f"ON CONFLICT ({year_column}) DO UPDATE SET {last_column} = {table}.{last_column} + 1 "
        f"RETURNING {last_column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(upsert, [year])
        (last,) = cursor.fetchone()
    return f"{settings.TICKET_NUMBER_PREFIX}-{year}-{last:05d}"


def ticket_file(
    *,
    requester,
    subject: str,
    body: str,
    type: str,
    priority: int | None = None,
    channel: str = Channel.WEB,
    files: Iterable = (),
    follows: Ticket | None = None,
    actor=None,
    sender_unverified: bool = False,
) -> Ticket:
    """File a ticket for the requester's organisation, with its attachments.

    In order: the ticket with its number, the history, the files, the "follows" link,
    the SLA clocks, the mail (confirmation and the alert to support); then, optionally,
    the moderation flags."""
    refusal = rules.filing_refusal(requester)
    if refusal is not None:
        raise refusal
    if type not in TicketType.values:
        raise ActionRefused(_("Choose a ticket type."), code="bad_type")
    inspected = inspected_or_refused(files)
    actor = actor or requester
    with transaction.atomic():
        now = timezone.now()
        ticket = Ticket(
            organisation=requester.organisation,
            requester=requester,
            subject=subject.strip(),
            body=body,
            type=type,
            priority=effective_priority(type=type, priority=priority),
            channel=channel,
            sender_unverified=sender_unverified,
            created_at=now,
        )
        sla.sla_start(ticket=ticket, at=now)  # the deadlines go in with the INSERT
        # Who is mailed (and told by webhook) is read before the number is drawn: the
        # counter row stays locked until the commit, so concurrent filings wait for each
        # other only from there on, for writes alone.
        mail = notify.plan_ticket_filed(ticket=ticket, actor=actor)
        ticket.number = _next_number()
        ticket.save()
        history(ticket, actor, EventKind.FILED, new=ticket.status)
        store_files(ticket=ticket, comment=None, uploader=actor, files=inspected)
        if follows is not None:
            ticket_link(ticket=ticket, actor=actor, other=follows, kind=LinkKind.FOLLOWS)
        sla.sla_started(ticket=ticket, at=now)
        mail.write()
        if moderation.may_flag_ticket(ticket):
            with optional("moderation flags of a filed ticket", ticket=ticket.number):
                moderation.flag_ticket(ticket=ticket)
    return ticket
