"""What the use cases share: the row lock, firing a transition, history, files."""


from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from core.errors import ActionRefused
from tickets.models import Attachment, Comment, EventKind, Ticket, TicketEvent


def check_unchanged(ticket: Ticket, expected_status: str | None) -> None:
    """Act on the state the user saw: a change in between is refused, not overridden."""
    if expected_status and ticket.status != expected_status:
        raise ActionRefused(
            _(
                "%(number)s was changed by someone else a moment ago: it is now “%(status)s”. "
                "Nothing was changed by you; please look at the ticket again."
            )
            % {"number": ticket.number, "status": ticket.get_status_display()},
            code="concurrent",
        )


def lock(ticket: Ticket) -> Ticket:
    """The ticket's row, locked to the end of the caller's transaction."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _not_in_this_state(ticket: Ticket) -> ActionRefused:
    return ActionRefused(
        _("A ticket that is “%(status)s” cannot be changed that way.")
        % {"status": ticket.get_status_display()},
        code="not_allowed",
    )


def fire(locked: Ticket, name: str, actor, why: str = "", **kwargs) -> str:
    """Fire a transition on the locked row and record it in the history; returns the
    status it left. The caller then moves the SLA clock and writes the mail."""
    method = getattr(locked, name)
    # The state first (the clearer message), then who may, then the rule's conditions.
    if not can_proceed(method, check_conditions=False):
        raise _not_in_this_state(locked)
    if actor is not None and not has_transition_perm(method, actor):
        raise ActionRefused(_("You may not do that with this ticket."), code="forbidden")
    if not can_proceed(method):
        raise _not_in_this_state(locked)
    old = locked.status
    method(**kwargs)
    try:
        locked.save()
    except ConcurrentTransition:
        raise ActionRefused(
            _("The ticket was changed by someone else a moment ago; please look at it again."),
            code="concurrent",
        ) from None
    history(locked, actor, EventKind.STATUS, old=old, new=locked.status, reason=why)
    return old


def require_contractor(actor) -> None:
    if not actor.is_contractor:
        raise ActionRefused(_("Only the contractor's staff can do that."), code="forbidden")


def history(ticket, actor, kind, *, old="", new="", reason="") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, old_value=str(old), new_value=str(new), reason=reason
    )


def store_files(*, ticket: Ticket, comment: Comment | None, uploader, files: list) -> None:
    for upload, info in files:
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            uploaded_by=uploader,
            original_name=info.name,
            content_type=info.content_type,
            size=info.size,
        )
        attachment.file.save(info.name, upload, save=False)
        attachment.save()
