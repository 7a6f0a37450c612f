"""What the use cases share: the row lock, firing a transition, history, files."""

from dataclasses import dataclass

from django.db.models import Count, Max
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from core.errors import ActionRefused
from tickets.models import Attachment, Comment, EventKind, Ticket, TicketEvent


def seen_state(ticket: Ticket, comments: list | None = None) -> str:
    """What a staff page was built from, in one token: the status, the assignee, the
    priority, the newest comment and how many there are (a merge brings in older ones).
    A page sends it back (``check_unchanged``'s ``seen``); any of them moved since means
    someone else changed the ticket. ``comments``: all of the ticket's comments, when the
    page has read them already."""
    if comments is None:
        counted = ticket.comments.aggregate(last=Max("pk"), count=Count("pk"))
        last, count = counted["last"], counted["count"]
    else:
        last, count = max((comment.pk for comment in comments), default=None), len(comments)
    return f"{ticket.status}.{ticket.assignee_id or 0}.{ticket.priority}.{last or 0}.{count}"


@dataclass(frozen=True)
class Changes:
    """What moved between a page's ``seen_state`` and the ticket now."""

    old_status: str = ""  # empty: the status is the same
    assignee_changed: bool = False
    old_assignee_id: int | None = None
    old_priority: int | None = None  # None: the priority is the same
    comments: tuple = ()

    def __bool__(self) -> bool:
        return bool(
            self.old_status
            or self.assignee_changed
            or self.old_priority is not None
            or self.comments
        )


def changes_since(ticket: Ticket, seen: str) -> Changes:
    """The changes made since the page that carried ``seen`` was shown (staff see every
    comment, internal notes too)."""
    try:
        status, assignee, priority, last, count = seen.split(".")
        assignee_id, old_priority, last_id = int(assignee) or None, int(priority), int(last)
        old_count = int(count)
    except ValueError:
        return Changes()
    shown = ticket.comments.select_related("author").prefetch_related("attachments")
    comments = list(shown.filter(pk__gt=last_id).order_by("pk"))
    if not comments and shown.count() != old_count:
        # Nothing newer, yet more of them: a merge moved a duplicate's comments in.
        comments = list(shown.filter(merged_from__isnull=False).order_by("pk"))
    return Changes(
        old_status=status if status != ticket.status else "",
        assignee_changed=assignee_id != ticket.assignee_id,
        old_assignee_id=assignee_id,
        old_priority=old_priority if old_priority != ticket.priority else None,
        comments=tuple(comments),
    )


def check_unchanged(ticket: Ticket, expected_status: str | None, seen: str | None = None) -> None:
    """Act on the state the user saw: a change in between is refused, not overridden.
    ``expected_status`` is the status the page showed; ``seen`` (a ``seen_state``) the
    whole of what it showed, so a new comment, another assignee or priority count too."""
    if seen and seen != seen_state(ticket):
        raise ActionRefused(
            _(
                "%(number)s was changed by someone else since you opened it: see what "
                "changed above. Nothing was sent; your text is kept below, so one more "
                "click sends it."
            )
            % {"number": ticket.number},
            code="concurrent",
        )
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
