"""Macros' placeholders, filled by plain substitution.

A manager's text is never handed to the template engine: ``{{ number }}``,
``{{ requester }}``, ``{{ deadline }}`` and ``{{ agent }}`` are replaced by their
values, everything else stays as written (a form refuses unknown placeholders when the
macro is saved)."""

import re

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sla.display import deadline_text
from tickets.models import Macro, MacroStatus, Priority

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]+)\s*\}\}")

PLACEHOLDERS = {
    "number": _("the ticket's number"),
    "requester": _("the requester's name"),
    "deadline": _("the reaction deadline, in the business calendar's time zone"),
    "agent": _("the name of the agent who sends the reply"),
}


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def placeholder_values(ticket, agent) -> dict[str, str]:
    """The values in the requester's language (the deadline's date format is theirs)."""
    language = ticket.requester.language
    with translation.override(language):
        deadline = deadline_text(ticket.reaction_due) if ticket.reaction_due else ""
    return {
        "number": ticket.number,
        "requester": ticket.requester.get_full_name(),
        "deadline": deadline,
        "agent": agent.get_full_name(),
    }


def render_macro(macro, ticket, agent, values: dict | None = None) -> str:
    """The macro's text in the requester's language with its placeholders filled."""
    values = values if values is not None else placeholder_values(ticket, agent)
    text = macro.body_for(ticket.requester.language)
    return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), text)


def macro_effects_text(macro: Macro) -> list[str]:
    """What sending with this macro will change, for the agent to read first."""
    effects = []
    if macro.set_status:
        label = MacroStatus(macro.set_status).label
        effects.append(gettext("Status: %(transition)s") % {"transition": label})
    if macro.set_priority is not None:
        label = Priority(macro.set_priority).label
        effects.append(gettext("Priority: %(priority)s") % {"priority": label})
    if macro.set_assignee_id:
        name = macro.set_assignee.get_full_name()
        effects.append(gettext("Assignee: %(name)s") % {"name": name})
    return effects
