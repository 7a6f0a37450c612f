"""The ticketing rules that more than one entry point asks about, each written once.

The services enforce them; the portal, the admin, mail in and the templates (through a
context value) ask the same predicates, so a button is shown exactly when its action
would be allowed. Each refusal carries the words the user reads.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from tickets.models import CUSTOMER_TURN_STATUSES, Status, Ticket, duplicate_of_link

# --- filing ------------------------------------------------------------------------


def filing_refusal(user) -> ActionRefused | None:
    """Only a customer's employee files, for an organisation under an active contract."""
    organisation = user.organisation if user.is_customer else None
    if organisation is None:
        return ActionRefused(
            _("Only a customer's employee can file a ticket."), code="not_customer"
        )
    if not organisation.can_file(timezone.localdate()):
        return ActionRefused(
            _(
                "%(org)s has no active support contract, so new tickets cannot be filed. "
                "Please contact the contractor about the contract."
            )
            % {"org": organisation.name},
            code="no_contract",
        )
    return None


def can_file(user) -> bool:
    return filing_refusal(user) is None


# --- whose turn --------------------------------------------------------------------


def is_customers_turn(ticket) -> bool:
    """The next move is the customer's: answer a question, or confirm a resolution."""
    return ticket.status in CUSTOMER_TURN_STATUSES


# --- the reopen window -------------------------------------------------------------


def reopen_window_text(ticket) -> str:
    return _(
        "%(number)s was closed more than %(days)s days ago and can no longer be reopened. "
        "Please file a new ticket; it will be linked to this one."
    ) % {"number": ticket.number, "days": settings.REOPEN_WINDOW_DAYS}


def duplicate_original(ticket):
    """The ticket a duplicate was closed into, if it was."""
    link = duplicate_of_link(ticket)
    return link.target if link is not None else None


def reopen_refusal(ticket) -> ActionRefused | None:
    """A closed ticket reopens only within the window, and never one closed as a duplicate:
    the conversation goes on in the original."""
    if ticket.status != Status.CLOSED:
        return None
    original = duplicate_original(ticket)
    if original is not None:
        return ActionRefused(
            _("%(number)s was closed as a duplicate of %(original)s; please comment there.")
            % {"number": ticket.number, "original": original.number},
            code="duplicate",
        )
    if ticket.reopen_refused:
        return ActionRefused(reopen_window_text(ticket), code="reopen_window_passed")
    return None


# --- comments ----------------------------------------------------------------------


def comment_refusal(user, ticket, *, internal: bool = False) -> ActionRefused | None:
    """Who may write on a ticket: contractor staff always (internal notes too); a customer
    of its organisation, publicly, unless it is rejected, or closed past the reopen window
    or as a duplicate. (A customer's word on a resolved or closed ticket reopens it,
    whether written in the portal or by e-mail.)"""
    if user.is_contractor:
        return None
    if not user.is_customer or user.organisation_id != ticket.organisation_id:
        return ActionRefused(_("You may not do that with this ticket."), code="forbidden")
    if internal:
        return ActionRefused(
            _("Only the contractor's staff can write internal notes."), code="forbidden"
        )
    if ticket.status == Status.CLOSED:
        refusal = reopen_refusal(ticket)
        if refusal is not None:
            return ActionRefused(refusal.message, code="closed")
    if ticket.status == Status.REJECTED:
        return ActionRefused(
            _("%(number)s was rejected and takes no more comments; please file a new ticket.")
            % {"number": ticket.number},
            code="rejected",
        )
    return None


def comment_effect(user, status: str) -> str:
    """What a comment by this user does to a ticket in this state: it resumes a waiting
    ticket, reopens a resolved or closed one, is refused on a rejected one, or just adds
    to the conversation."""
    if not user.is_customer:
        return "comment"
    return {
        Status.WAITING_FOR_CUSTOMER: "resume",
        Status.RESOLVED: "reopen",
        Status.CLOSED: "reopen",
        Status.REJECTED: "refused",
    }.get(status, "comment")


def comment_stale(user, ticket, expected_status: str | None) -> ActionRefused | None:
    """A comment is refused for a change made since the page was shown only when the
    change alters what the comment does (it would now reopen the ticket, or not be
    allowed); an agent accepting the ticket meanwhile does not matter to it."""
    if not expected_status or expected_status == ticket.status:
        return None
    if comment_effect(user, expected_status) == comment_effect(user, ticket.status):
        return None
    return ActionRefused(
        _(
            "%(number)s was changed by someone else a moment ago: it is now “%(status)s”. "
            "Your comment is not sent yet; read the change, then send it again."
        )
        % {"number": ticket.number, "status": ticket.get_status_display()},
        code="concurrent",
    )


# --- transitions in the portal -----------------------------------------------------


def portal_transitions(ticket, user) -> list:
    """The transitions this user may fire now from the portal: those the state machine
    marks ``portal`` (the rest are the contractor's, in the admin)."""
    return [t for t in ticket.get_available_user_status_transitions(user) if t.custom.get("portal")]


def is_portal_transition(name: str) -> bool:
    return any(
        t.name == name and t.custom.get("portal")
        for t in Ticket._meta.get_field("status").get_all_transitions(Ticket)
    )


# --- satisfaction ------------------------------------------------------------------

RATED_STATUSES = (Status.RESOLVED, Status.CLOSED)


def rated_resolution(ticket):
    """The moment of the resolution a rating is about: when it was resolved, or for a
    ticket closed without a resolution (an old one) when it was closed. None while it is
    open, and for a ticket closed as a duplicate (it goes on in its original)."""
    if ticket.status not in RATED_STATUSES:
        return None
    if ticket.resolved_at is not None:
        return ticket.resolved_at
    if duplicate_original(ticket) is not None:
        return None
    return ticket.closed_at


def current_rating(ticket):
    """The ask (rated or not) of the ticket's current resolution, if there is one."""
    moment = rated_resolution(ticket)
    if moment is None:
        return None
    return ticket.ratings.filter(resolved_at=moment).first()


def already_rated_text(ticket) -> str:
    return _("%(number)s is already rated. Thank you!") % {"number": ticket.number}


_UNREAD = object()


def rating_refusal(user, ticket, *, rating=_UNREAD) -> ActionRefused | None:
    """Who may rate, and when: a customer of the ticket's organisation (its requester
    from the mail's link), once the ticket is resolved or closed; once per resolution.
    ``rating``: the ticket's ``current_rating``, when the caller has read it already."""
    if user is None or not user.is_active or not user.is_customer:
        return ActionRefused(_("You may not do that with this ticket."), code="forbidden")
    if user.organisation_id != ticket.organisation_id:
        return ActionRefused(_("You may not do that with this ticket."), code="forbidden")
    if rated_resolution(ticket) is None:
        return ActionRefused(
            _("%(number)s can be rated once it is resolved.") % {"number": ticket.number},
            code="not_resolved",
        )
    if rating is _UNREAD:
        rating = current_rating(ticket)
    if rating is not None and rating.is_rated:
        return ActionRefused(already_rated_text(ticket), code="already_rated")
    return None
