"""Who is told about out-of-hours requests and statements, through the notifications outbox.

Rows are written in the caller's transaction (``notifications.api``) and sent after
commit. Out-of-hours mails go to both sides at each step: on the customer side the
ticket's requester, the organisation's representatives and a customer who asked; on
the contractor side the managers, the ticket's assignee and an agent who asked. Nobody
is mailed about their own action.
"""

from django.urls import reverse

from accounts.models import Role, User
from billing.models import OutOfHoursRequest, Statement, StatementStatus
from notifications import api


class Events:
    OOH_REQUESTED = "ooh_requested"
    OOH_SIDE_APPROVED = "ooh_side_approved"
    OOH_APPROVED = "ooh_approved"
    OOH_DECLINED = "ooh_declined"
    STATEMENT_READY = "statement_ready"
    STATEMENT_CONFIRMED = "statement_confirmed"
    STATEMENT_DISPUTED = "statement_disputed"


def _managers() -> list[User]:
    return list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk"))


def _representatives(organisation_id: int) -> list[User]:
    return list(
        User.objects.filter(
            organisation_id=organisation_id, role=Role.CUSTOMER_REPRESENTATIVE, is_active=True
        ).order_by("pk")
    )


def _ooh_people(request: OutOfHoursRequest) -> list[User]:
    ticket = request.ticket
    people = [ticket.requester, *_representatives(ticket.organisation_id)]
    people += _managers()
    if ticket.assignee is not None:
        people.append(ticket.assignee)
    people.append(request.requested_by)
    unique = {person.pk: person for person in people}
    return list(unique.values())


def _ooh_facts(request: OutOfHoursRequest, **extra) -> dict:
    return {
        "request_id": request.pk,
        "start": request.start.isoformat(),
        "end": request.end.isoformat(),
        "reason": request.reason,
        "requested_by": request.requested_by.get_full_name(),
        "customer_decision": request.customer_decision,
        "contractor_decision": request.contractor_decision,
        "admin_path": reverse("admin:billing_outofhoursrequest_change", args=[request.pk]),
        **extra,
    }


def notify_ooh(event: str, *, request: OutOfHoursRequest, actor: User, **extra) -> None:
    """Tell both sides of the ticket about a step of an out-of-hours request."""
    api.notify_people(
        event=event,
        users=_ooh_people(request),
        ticket=request.ticket,
        actor=actor,
        context=_ooh_facts(request, actor_name=actor.get_full_name(), **extra),
        essential=True,
    )


def _statement_facts(statement: Statement, **extra) -> dict:
    return {
        "statement_id": statement.pk,
        "organisation": statement.organisation.name,
        "month": statement.month.isoformat(),
        "revision": statement.revision,
        "tickets_count": statement.tickets_count,
        "billable_seconds": statement.billable_seconds,
        "portal_path": reverse("billing:statement_detail", args=[statement.pk]),
        "admin_path": reverse("admin:billing_statement_change", args=[statement.pk]),
        **extra,
    }


def notify_statement_ready(statement: Statement) -> None:
    """The organisation's representatives: a statement waits for their confirmation.

    A statement names no ticket, and the outbox keeps customer-side mail to a ticket's
    organisation; so each representative is mailed at their own address, with the
    statement's facts only (it is their organisation's).
    """
    for person in _representatives(statement.organisation_id):
        api.notify_address(
            event=Events.STATEMENT_READY,
            email=person.email,
            language=person.language,
            context=_statement_facts(statement, name=person.get_full_name()),
        )


def notify_statement_answered(statement: Statement, *, actor: User) -> None:
    """The contractor's managers: the representative confirmed or disputed a statement."""
    confirmed = statement.status == StatementStatus.CONFIRMED
    event = Events.STATEMENT_CONFIRMED if confirmed else Events.STATEMENT_DISPUTED
    api.notify_people(
        event=event,
        users=_managers(),
        actor=actor,
        context=_statement_facts(
            statement, comment=statement.response_comment, actor_name=actor.get_full_name()
        ),
        essential=True,
    )
