"""The transitions of the ticket's state machine, one use case each.

Every one reads the same way, inside one transaction: lock the row and check that
nobody changed it since the actor saw it; fire the transition (the state machine checks
the state, who may and the rule's conditions) and record it in the history; tell the SLA
clock what happened; write the mail; then the rest of the use case (a comment, a link)
and any optional work.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from core.optional import optional
from moderation import services as moderation
from sla import services as sla
from tickets import notify, rules
from tickets.deadlines import auto_close_schedule
from tickets.models import LinkKind, Ticket
from tickets.services._common import check_unchanged, fire, lock
from tickets.services.assignment import set_assignee
from tickets.services.comments import add_comment
from tickets.services.links import ticket_link
from tickets.services.satisfaction import rating_ask


def _locked(ticket: Ticket) -> Ticket:
    """Lock the row; refuse if someone changed the state since the actor saw it."""
    locked = lock(ticket)
    check_unchanged(locked, ticket.status)
    return locked


def _done(ticket: Ticket, locked: Ticket) -> Ticket:
    """Give the caller's instance the saved state, so it can be used again."""
    ticket.refresh_from_db()
    return locked


def _mail_status(locked: Ticket, actor, old: str, why: str, rating=None) -> None:
    notify.notify_status_changed(
        ticket=locked, actor=actor, old=old, new=locked.status, reason=why, rating=rating
    )


def ticket_accept(*, ticket: Ticket, actor) -> Ticket:
    """The contractor accepts a new ticket (the reaction) and becomes its assignee if none."""
    with transaction.atomic():
        locked = _locked(ticket)
        old = fire(locked, "accept", actor)
        sla.sla_record_reaction(ticket=locked, at=locked.first_accepted_at or timezone.now())
        _mail_status(locked, actor, old, "")
        if locked.assignee_id is None:
            set_assignee(locked, actor, actor)
        return _done(ticket, locked)


def ticket_request_info(*, ticket: Ticket, actor, message: str) -> Ticket:
    """The contractor asks the customer a question; the ticket waits for the answer and
    the resolution clock pauses."""
    if not message.strip():
        raise ActionRefused(_("Write the question for the customer."), code="message_required")
    with transaction.atomic():
        locked = _locked(ticket)
        old = fire(locked, "request_info", actor)
        sla.sla_pause(ticket=locked, at=timezone.now())
        _mail_status(locked, actor, old, "")
        add_comment(ticket=locked, author=actor, body=message, internal=False, files=[])
        return _done(ticket, locked)


def resume_locked(locked: Ticket, actor, why: str = "") -> None:
    """Work resumes on a waiting ticket (the locked row): the clock goes on with the time
    that was left."""
    old = fire(locked, "resume", actor, why=why)
    sla.sla_resume(ticket=locked, at=timezone.now())
    _mail_status(locked, actor, old, why)


def ticket_resume(*, ticket: Ticket, actor) -> Ticket:
    """Work resumes on a ticket that waited for the customer."""
    with transaction.atomic():
        locked = _locked(ticket)
        resume_locked(locked, actor)
        return _done(ticket, locked)


def ticket_resolve(*, ticket: Ticket, actor, message: str = "") -> Ticket:
    """The contractor marks the work done, optionally explaining the solution; the
    resolution clock stops, met or breached."""
    with transaction.atomic():
        locked = _locked(ticket)
        old = fire(locked, "resolve", actor)
        sla.sla_stop(ticket=locked, at=timezone.now(), outcome=True)
        auto_close_schedule(locked)
        _mail_status(locked, actor, old, "", rating=rating_ask(locked))
        if message.strip():
            add_comment(ticket=locked, author=actor, body=message, internal=False, files=[])
        return _done(ticket, locked)


def ticket_close(*, ticket: Ticket, actor, message: str = "", reason: str = "") -> Ticket:
    """The customer confirms a resolved ticket (or the system closes it, actor None, with
    the reason in the history), optionally with a last word as a public comment. The
    clock stopped at the resolution already."""
    why = reason or message.strip()
    with transaction.atomic():
        locked = _locked(ticket)
        old = fire(locked, "close", actor, why=why)
        # Asked at the resolution already; a ticket resolved before ratings is asked now.
        asked = rules.current_rating(locked) is not None
        _mail_status(locked, actor, old, why, rating=None if asked else rating_ask(locked))
        if message.strip() and actor is not None:
            add_comment(ticket=locked, author=actor, body=message, internal=False, files=[])
        return _done(ticket, locked)


def reopen_locked(locked: Ticket, actor, why: str = "") -> None:
    """The customer reopens the locked row: the resolution clock runs again."""
    old = fire(locked, "reopen", actor, why=why)
    sla.sla_resume(ticket=locked, at=timezone.now())
    _mail_status(locked, actor, old, why)


def ticket_reopen(*, ticket: Ticket, actor, message: str = "") -> Ticket:
    """The customer reopens a resolved ticket, or a closed one within the reopen window;
    a ticket closed as a duplicate is refused: the conversation goes on in the original."""
    refusal = rules.reopen_refusal(ticket)
    if refusal is not None:
        raise refusal
    why = message.strip()
    with transaction.atomic():
        locked = _locked(ticket)
        reopen_locked(locked, actor, why)
        if why:
            add_comment(ticket=locked, author=actor, body=message, internal=False, files=[])
        return _done(ticket, locked)


def ticket_reject(*, ticket: Ticket, actor, reason: str, preset: str = "") -> Ticket:
    """The contractor rejects an improper ticket; the customer sees the reason. Both
    clocks stop without an outcome; the ticket's moderation flags count as reviewed."""
    reason = reason.strip()
    if not reason:
        raise ActionRefused(
            _("A rejection needs a reason the customer will see."), code="reason_required"
        )
    with transaction.atomic():
        locked = _locked(ticket)
        old = fire(locked, "reject", actor, why=reason, reason=reason, preset=preset)
        sla.sla_stop(ticket=locked, at=timezone.now(), outcome=False)
        _mail_status(locked, actor, old, reason)
        if actor is not None:
            with optional("moderation review on rejection", ticket=locked.number):
                moderation.ticket_flags_mark_reviewed(ticket=locked, actor=actor)
        return _done(ticket, locked)


def ticket_mark_duplicate(*, ticket: Ticket, actor, original: Ticket) -> Ticket:
    """A repeat of an open ticket of the same organisation is closed and linked to it;
    its clocks stop without an outcome."""
    if original.pk == ticket.pk:
        raise ActionRefused(_("A ticket cannot duplicate itself."), code="self")
    if original.organisation_id != ticket.organisation_id:
        raise ActionRefused(
            _("The original must belong to the same organisation."), code="other_organisation"
        )
    if not original.is_open:
        raise ActionRefused(
            _("%(number)s is not open; a duplicate must point to an open ticket.")
            % {"number": original.number},
            code="original_closed",
        )
    why = _("Duplicate of %(number)s") % {"number": original.number}
    with transaction.atomic():
        locked = _locked(ticket)
        old = fire(locked, "mark_duplicate", actor, why=why)
        sla.sla_stop(ticket=locked, at=timezone.now(), outcome=False)
        _mail_status(locked, actor, old, why)
        ticket_link(ticket=locked, actor=actor, other=original, kind=LinkKind.DUPLICATE_OF)
        return _done(ticket, locked)


TRANSITION_SERVICES = {
    "accept": ticket_accept,
    "request_info": ticket_request_info,
    "resume": ticket_resume,
    "resolve": ticket_resolve,
    "close": ticket_close,
    "reopen": ticket_reopen,
    "reject": ticket_reject,
    "mark_duplicate": ticket_mark_duplicate,
}


def available_transitions(ticket: Ticket, user) -> list:
    """The transitions this user may fire now, straight from the state machine."""
    return list(ticket.get_available_user_status_transitions(user))
