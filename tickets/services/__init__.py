"""Every write to a ticket, one use case per function (``tickets.services.<module>``).

Each reads top to bottom in one transaction: lock the row; change the state (through the
state machine); record the history; move the SLA clock (``sla.services``, told what
happened); write the mail rows (``tickets.notify``); then optional work (moderation flags)
that is logged and skipped if it fails. Nothing here talks to the network: workers send
the mail after commit.
"""

from core.errors import ActionRefused
from tickets.services._common import Changes, changes_since, check_unchanged, seen_state
from tickets.services.assignment import (
    ticket_assign,
    ticket_change_priority,
    ticket_change_type,
    ticket_watch,
)
from tickets.services.comments import comment_add
from tickets.services.filing import effective_priority, ticket_file
from tickets.services.links import ticket_link, ticket_unlink
from tickets.services.macros import MacroOutcome, macro_apply
from tickets.services.merge import merge_refusal, ticket_merge
from tickets.services.satisfaction import ticket_rate
from tickets.services.saved_views import saved_view_delete, saved_view_query, saved_view_save
from tickets.services.transitions import (
    TRANSITION_SERVICES,
    available_transitions,
    ticket_accept,
    ticket_close,
    ticket_mark_duplicate,
    ticket_reject,
    ticket_reopen,
    ticket_request_info,
    ticket_resolve,
    ticket_resume,
)

__all__ = [
    "TRANSITION_SERVICES",
    "ActionRefused",
    "Changes",
    "MacroOutcome",
    "available_transitions",
    "changes_since",
    "check_unchanged",
    "comment_add",
    "effective_priority",
    "merge_refusal",
    "saved_view_delete",
    "saved_view_query",
    "saved_view_save",
    "seen_state",
    "macro_apply",
    "ticket_accept",
    "ticket_assign",
    "ticket_change_priority",
    "ticket_change_type",
    "ticket_close",
    "ticket_file",
    "ticket_link",
    "ticket_mark_duplicate",
    "ticket_merge",
    "ticket_rate",
    "ticket_reject",
    "ticket_reopen",
    "ticket_request_info",
    "ticket_resolve",
    "ticket_resume",
    "ticket_unlink",
    "ticket_watch",
]
