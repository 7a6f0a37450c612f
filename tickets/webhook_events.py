"""What a ticket's webhook events carry: the ticket's summary and the event's facts.

Called by ``tickets.notify`` (the one place each event is announced) inside the use
case's transaction, so the deliveries commit or roll back with the change. Only what a
customer may see goes out: a customer's endpoint gets no internal note, and no event is
written for one.
"""

from functools import partial

from tickets.models import Ticket
from webhooks.models import WebhookEvent
from webhooks.services import webhook_outbox_write, webhook_outbox_write_many, webhook_takers


def ticket_summary(ticket: Ticket) -> dict:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "type": ticket.type,
        "priority": ticket.priority,
        "organisation": {"id": ticket.organisation_id, "name": ticket.organisation.name},
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
    }


def _data(ticket: Ticket, actor=None, **facts) -> dict:
    data = {"ticket": ticket_summary(ticket), **facts}
    if actor is not None:
        data["actor"] = {"name": actor.get_full_name() or actor.email,
                         "side": "contractor" if actor.is_contractor else "customer"}
    return data


def _write(event_type: str, ticket: Ticket, actor=None, subscriptions=None, **facts) -> None:
    webhook_outbox_write(
        event_type=event_type, organisation_id=ticket.organisation_id,
        data=lambda: _data(ticket, actor, **facts), subscriptions=subscriptions,
    )


def webhook_ticket_created(*, ticket: Ticket, actor, subscriptions=None) -> None:
    """``subscriptions``: ``webhook_ticket_created_takers``, read before the filing drew
    its number."""
    _write(WebhookEvent.TICKET_CREATED, ticket, actor, subscriptions=subscriptions)


def webhook_ticket_created_takers(ticket: Ticket) -> list:
    return webhook_takers(
        event_type=WebhookEvent.TICKET_CREATED, organisation_ids={ticket.organisation_id}
    )


def webhook_status_changed(*, ticket: Ticket, actor, old: str, new: str) -> None:
    _write(WebhookEvent.STATUS_CHANGED, ticket, actor, old_status=old, new_status=new)


def webhook_priority_changed(*, ticket: Ticket, actor, old, new, reason: str) -> None:
    _write(WebhookEvent.PRIORITY_CHANGED, ticket, actor,
           old_priority=old, new_priority=new, reason=reason)


def webhook_public_comment(*, comment, actor) -> None:
    """A public comment only: internal notes are never an event."""
    if comment.is_internal:
        return
    _write(
        WebhookEvent.PUBLIC_COMMENT, comment.ticket, actor,
        comment={"id": comment.pk, "body": comment.body,
                 "created_at": comment.created_at.isoformat()},
    )


def webhook_sla(*, tickets: list[Ticket], breached: bool, clock: str) -> None:
    """A sweep's tickets at risk or breached, in a fixed number of queries; each payload
    is built only if some subscription takes it (none: one query, no payload work)."""
    if tickets:
        webhook_outbox_write_many(
            event_type=WebhookEvent.SLA_BREACHED if breached else WebhookEvent.SLA_AT_RISK,
            items=[(ticket.organisation_id, partial(_sla_data, ticket, clock))
                   for ticket in tickets],
        )


def _sla_data(ticket: Ticket, clock: str) -> dict:
    due = ticket.reaction_due if clock == "reaction" else ticket.resolution_due
    return _data(ticket, clock=clock, due=due.isoformat() if due else None)
