"""Every (state, transition, role) triple of the ticket lifecycle, against one table."""

import pytest

from tests import factories, helpers
from tickets import services
from tickets.models import EventKind, Status, TicketEvent

STATES = [
    Status.NEW,
    Status.IN_PROGRESS,
    Status.WAITING_FOR_CUSTOMER,
    Status.RESOLVED,
    Status.CLOSED,
    Status.REJECTED,
]
TRANSITIONS = [
    "accept",
    "request_info",
    "resume",
    "resolve",
    "close",
    "reopen",
    "reject",
    "mark_duplicate",
]
EMPLOYEE = "customer_employee"
REPRESENTATIVE = "customer_representative"
OUTSIDER = "customer_of_another_org"
AGENT = "agent"
MANAGER = "manager"
ROLES = [EMPLOYEE, REPRESENTATIVE, OUTSIDER, AGENT, MANAGER]

CUSTOMER = {EMPLOYEE, REPRESENTATIVE}
CONTRACTOR = {AGENT, MANAGER}
EITHER = CUSTOMER | CONTRACTOR

# (state, transition) -> (resulting state, roles allowed). Every triple not listed here,
# and every triple whose role is not in the set, is refused and changes nothing.
# A customer of another organisation is never allowed anything.
ALLOWED = {
    (Status.NEW, "accept"): (Status.IN_PROGRESS, CONTRACTOR),
    (Status.NEW, "reject"): (Status.REJECTED, CONTRACTOR),
    (Status.NEW, "mark_duplicate"): (Status.CLOSED, CONTRACTOR),
    (Status.IN_PROGRESS, "request_info"): (Status.WAITING_FOR_CUSTOMER, CONTRACTOR),
    (Status.IN_PROGRESS, "resolve"): (Status.RESOLVED, CONTRACTOR),
    (Status.IN_PROGRESS, "reject"): (Status.REJECTED, CONTRACTOR),
    (Status.IN_PROGRESS, "mark_duplicate"): (Status.CLOSED, CONTRACTOR),
    (Status.WAITING_FOR_CUSTOMER, "resume"): (Status.IN_PROGRESS, EITHER),
    (Status.WAITING_FOR_CUSTOMER, "resolve"): (Status.RESOLVED, CONTRACTOR),
    (Status.WAITING_FOR_CUSTOMER, "reject"): (Status.REJECTED, CONTRACTOR),
    (Status.WAITING_FOR_CUSTOMER, "mark_duplicate"): (Status.CLOSED, CONTRACTOR),
    (Status.RESOLVED, "close"): (Status.CLOSED, CUSTOMER),
    (Status.RESOLVED, "reopen"): (Status.IN_PROGRESS, CUSTOMER),
    # Closed a moment ago: well inside the reopen window.
    (Status.CLOSED, "reopen"): (Status.IN_PROGRESS, CUSTOMER),
    # Rejected is final: nothing leaves it.
}


def expected(state, transition, role):
    target, roles = ALLOWED.get((state, transition), (None, set()))
    return target if role in roles else None


def _actor(role, *, organisation):
    if role == EMPLOYEE:
        return factories.CustomerFactory(organisation=organisation)
    if role == REPRESENTATIVE:
        return factories.RepresentativeFactory(organisation=organisation)
    if role == OUTSIDER:
        return factories.CustomerFactory()
    if role == AGENT:
        return factories.AgentFactory()
    return factories.ManagerFactory()


def _kwargs(transition, *, ticket):
    if transition == "request_info":
        return {"message": "Please attach the server log."}
    if transition == "reject":
        return {"reason": "Insulting language; please file it again politely."}
    if transition == "mark_duplicate":
        original = factories.TicketFactory(requester=ticket.requester, subject="The original")
        return {"original": original}
    return {}


def _status_events(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).order_by("id"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("transition", TRANSITIONS)
@pytest.mark.parametrize("state", STATES)
def test_transition_is_allowed_exactly_as_the_table_says(state, transition, role):
    requester = factories.CustomerFactory()
    staff = factories.AgentFactory()
    ticket = helpers.drive_to(
        factories.TicketFactory(requester=requester), state, agent=staff, customer=requester
    )
    actor = _actor(role, organisation=requester.organisation)
    kwargs = _kwargs(transition, ticket=ticket)
    events_before = _status_events(ticket)
    history_before = ticket.events.count()
    comments_before = ticket.comments.count()
    target = expected(state, transition, role)

    service = services.TRANSITION_SERVICES[transition]
    if target is None:
        with pytest.raises(services.ActionRefused):
            service(ticket=ticket, actor=actor, **kwargs)
        ticket.refresh_from_db()
        assert ticket.status == state
        assert _status_events(ticket) == events_before
        # A refusal leaves no trace: no history line, no question sent, no link.
        assert ticket.events.count() == history_before
        assert ticket.comments.count() == comments_before
        assert not ticket.links_out.exists()
    else:
        service(ticket=ticket, actor=actor, **kwargs)
        ticket.refresh_from_db()
        assert ticket.status == target
        new_events = _status_events(ticket)[len(events_before) :]
        assert [(e.old_value, e.new_value, e.actor) for e in new_events] == [(state, target, actor)]
