"""A macro's effects on the ticket (status, priority, assignee), each through the same
service as the ticket page's own fields and buttons, each in its own transaction: what
the ticket's state refuses is reported, never forced, and does not undo the others."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from tickets.models import Macro, MacroStatus, Ticket
from tickets.services.assignment import ticket_assign, ticket_change_priority
from tickets.services.transitions import TRANSITION_SERVICES

# The transitions that take a message, and the argument it goes in.
MESSAGE_ARGUMENT = {
    MacroStatus.REQUEST_INFO: "message",
    MacroStatus.RESOLVE: "message",
    MacroStatus.REJECT: "reason",
}


@dataclass
class MacroOutcome:
    done: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    fired: str = ""  # the transition fired, if any


def macro_apply(
    *,
    macro: Macro,
    ticket: Ticket,
    actor,
    message: str = "",
    status: bool = True,
    others: bool = True,
) -> MacroOutcome:
    """Apply the macro's effects after its reply. ``message`` is the reply the status
    change takes as its message (when it needs one); ``status=False`` leaves the status
    alone (the agent pressed a status button of their own), ``others=False`` the
    priority and the assignee (the status change goes first, with the reply)."""
    outcome = MacroOutcome()
    if status and macro.set_status:
        name = macro.set_status
        kwargs = {MESSAGE_ARGUMENT[name]: message} if name in MESSAGE_ARGUMENT else {}
        service = TRANSITION_SERVICES[name]
        if _attempt(outcome, lambda: service(ticket=ticket, actor=actor, **kwargs)):
            outcome.fired = name
            outcome.done.append(
                _("%(number)s is now “%(status)s”.")
                % {"number": ticket.number, "status": ticket.get_status_display()}
            )
    if not others:
        return outcome
    if macro.set_priority is not None and macro.set_priority != ticket.priority:
        if _attempt(
            outcome,
            lambda: ticket_change_priority(
                ticket=ticket, actor=actor, priority=macro.set_priority, reason=macro.name
            ),
        ):
            outcome.done.append(
                _("Priority is now %(priority)s.") % {"priority": ticket.get_priority_display()}
            )
    if macro.set_assignee_id and macro.set_assignee_id != ticket.assignee_id:
        assignee = macro.set_assignee
        if _attempt(outcome, lambda: ticket_assign(ticket=ticket, actor=actor, assignee=assignee)):
            outcome.done.append(_("Assigned to %(name)s.") % {"name": assignee.get_full_name()})
    return outcome


def _attempt(outcome: MacroOutcome, act) -> bool:
    try:
        act()
    except ActionRefused as exc:
        outcome.refused.append(_("The macro could not do this: %(why)s") % {"why": exc.message})
    except ValidationError as exc:
        outcome.refused.append(
            _("The macro could not do this: %(why)s") % {"why": " ".join(exc.messages)}
        )
    else:
        return True
    return False
