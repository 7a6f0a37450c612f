"""Every write to a ticket goes through here.

Each service is atomic with its history entry and sends the matching signal of
``tickets.signals`` inside the transaction: the SLA clock and the notification outbox
attach there, so their rows commit or roll back with the change that caused them.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from accounts.models import User
from tickets import signals
from tickets.attachments import inspect_upload
from tickets.models import (
    Attachment,
    Channel,
    Comment,
    EventKind,
    LinkKind,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketNumberCounter,
    TicketType,
)


class ActionRefused(Exception):
    """A rule forbids what was asked; the message says why, in words for the user."""

    def __init__(self, message: str, *, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


# --- filing ------------------------------------------------------------------------


def effective_priority(*, type: str, priority: int | None) -> int:
    """Customers choose a priority only for Incidents; every other type gets Normal."""
    if type != TicketType.INCIDENT or priority not in Priority.values:
        return Priority.NORMAL
    return int(priority)


def _next_number() -> str:
    from django.conf import settings

    year = timezone.localdate().year
    TicketNumberCounter.objects.get_or_create(year=year)
    # The UPDATE takes a row lock held to the end of the filing transaction, so two
    # tickets filed at once can never get the same number.
    TicketNumberCounter.objects.filter(year=year).update(last=F("last") + 1)
    last = TicketNumberCounter.objects.get(year=year).last
    return f"{settings.TICKET_NUMBER_PREFIX}-{year}-{last:05d}"


def _check_can_file(requester: User) -> None:
    organisation = requester.organisation
    if not requester.is_customer or organisation is None:
        raise ActionRefused(_("Only a customer's employee can file a ticket."), code="not_customer")
    if not organisation.can_file(timezone.localdate()):
        raise ActionRefused(
            _(
                "%(org)s has no active support contract, so new tickets cannot be filed. "
                "Please contact the contractor about the contract."
            )
            % {"org": organisation.name},
            code="no_contract",
        )


def ticket_file(
    *,
    requester: User,
    subject: str,
    body: str,
    type: str,
    priority: int | None = None,
    channel: str = Channel.WEB,
    files: Iterable = (),
    follows: Ticket | None = None,
    actor: User | None = None,
) -> Ticket:
    """File a ticket for the requester's organisation, with its attachments."""
    _check_can_file(requester)
    if type not in TicketType.values:
        raise ActionRefused(_("Choose a ticket type."), code="bad_type")
    inspected = _inspect_files(files)
    with transaction.atomic():
        ticket = Ticket(
            number=_next_number(),
            organisation=requester.organisation,
            requester=requester,
            subject=subject.strip(),
            body=body,
            type=type,
            priority=effective_priority(type=type, priority=priority),
            channel=channel,
        )
        ticket.save()
        _event(ticket, actor or requester, EventKind.FILED, new=ticket.status)
        _store_files(ticket=ticket, comment=None, uploader=actor or requester, files=inspected)
        if follows is not None:
            ticket_link(
                ticket=ticket, actor=actor or requester, other=follows, kind=LinkKind.FOLLOWS
            )
        signals.ticket_filed.send(sender=Ticket, ticket=ticket, actor=actor or requester)
    return ticket


# --- transitions -------------------------------------------------------------------


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


def _locked(ticket: Ticket, expected_status: str) -> Ticket:
    """Lock the row; refuse if someone changed the state since the actor saw it."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    check_unchanged(locked, expected_status)
    return locked


def _not_in_this_state(ticket: Ticket) -> ActionRefused:
    return ActionRefused(
        _("A ticket that is “%(status)s” cannot be changed that way.")
        % {"status": ticket.get_status_display()},
        code="not_allowed",
    )


def _fire(ticket: Ticket, name: str, actor: User | None, why: str = "", **kwargs) -> Ticket:
    """Fire a transition under a row lock, with its history entry and signal."""
    locked = _locked(ticket, expected_status=ticket.status)
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
    _event(locked, actor, EventKind.STATUS, old=old, new=locked.status, reason=why)
    signals.ticket_status_changed.send(
        sender=Ticket, ticket=locked, actor=actor, old=old, new=locked.status, reason=why
    )
    _refresh(ticket)
    return locked


def _refresh(stale: Ticket) -> None:
    """Give the caller's instance the saved state, so it can be used again."""
    stale.refresh_from_db()


def _require_contractor(actor: User) -> None:
    if not actor.is_contractor:
        raise ActionRefused(_("Only the contractor's staff can do that."), code="forbidden")


def ticket_accept(*, ticket: Ticket, actor: User) -> Ticket:
    """The contractor accepts a new ticket (the reaction) and becomes its assignee if none."""
    with transaction.atomic():
        locked = _fire(ticket, "accept", actor)
        if locked.assignee_id is None:
            _set_assignee(locked, actor, actor)
        _refresh(ticket)
        return locked


def ticket_request_info(*, ticket: Ticket, actor: User, message: str) -> Ticket:
    """The contractor asks the customer a question; the ticket waits for the answer."""
    if not message.strip():
        raise ActionRefused(_("Write the question for the customer."), code="message_required")
    with transaction.atomic():
        locked = _fire(ticket, "request_info", actor)
        _add_comment(ticket=locked, author=actor, body=message, internal=False, files=[])
        return locked


def ticket_resume(*, ticket: Ticket, actor: User) -> Ticket:
    """Work resumes on a ticket that waited for the customer."""
    with transaction.atomic():
        return _fire(ticket, "resume", actor)


def ticket_resolve(*, ticket: Ticket, actor: User, message: str = "") -> Ticket:
    """The contractor marks the work done, optionally explaining the solution."""
    with transaction.atomic():
        locked = _fire(ticket, "resolve", actor)
        if message.strip():
            _add_comment(ticket=locked, author=actor, body=message, internal=False, files=[])
        return locked


def ticket_close(
    *, ticket: Ticket, actor: User | None, message: str = "", reason: str = ""
) -> Ticket:
    """The customer confirms a resolved ticket (or the system closes it, actor None, with
    the reason in the history), optionally with a last word as a public comment."""
    with transaction.atomic():
        locked = _fire(ticket, "close", actor, why=reason or message.strip())
        if message.strip() and actor is not None:
            _add_comment(ticket=locked, author=actor, body=message, internal=False, files=[])
        return locked


def reopen_refusal(ticket: Ticket) -> str:
    from django.conf import settings

    return _(
        "%(number)s was closed more than %(days)s days ago and can no longer be reopened. "
        "Please file a new ticket; it will be linked to this one."
    ) % {"number": ticket.number, "days": settings.REOPEN_WINDOW_DAYS}


def ticket_reopen(*, ticket: Ticket, actor: User, message: str = "") -> Ticket:
    """The customer reopens a resolved ticket, or a closed one within the reopen window;
    a ticket closed as a duplicate is refused: the conversation goes on in the original."""
    original = ticket.links_out.filter(kind=LinkKind.DUPLICATE_OF).select_related("target").first()
    if ticket.status == Status.CLOSED and original is not None:
        raise ActionRefused(
            _("%(number)s was closed as a duplicate of %(original)s; please comment there.")
            % {"number": ticket.number, "original": original.target.number},
            code="duplicate",
        )
    if ticket.reopen_refused:
        raise ActionRefused(reopen_refusal(ticket), code="reopen_window_passed")
    with transaction.atomic():
        locked = _fire(ticket, "reopen", actor, why=message.strip())
        if message.strip():
            _add_comment(ticket=locked, author=actor, body=message, internal=False, files=[])
        return locked


def ticket_reject(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """The contractor rejects an improper ticket; the customer sees the reason."""
    reason = reason.strip()
    if not reason:
        raise ActionRefused(
            _("A rejection needs a reason the customer will see."), code="reason_required"
        )
    with transaction.atomic():
        return _fire(ticket, "reject", actor, why=reason, reason=reason)


def ticket_mark_duplicate(*, ticket: Ticket, actor: User, original: Ticket) -> Ticket:
    """A repeat of an open ticket of the same organisation is closed and linked to it."""
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
    with transaction.atomic():
        locked = _fire(
            ticket,
            "mark_duplicate",
            actor,
            why=_("Duplicate of %(number)s") % {"number": original.number},
        )
        ticket_link(ticket=locked, actor=actor, other=original, kind=LinkKind.DUPLICATE_OF)
        return locked


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


def available_transitions(ticket: Ticket, user: User) -> list:
    """The transitions this user may fire now, straight from the state machine."""
    return list(ticket.get_available_user_status_transitions(user))


# --- attributes --------------------------------------------------------------------


def ticket_change_priority(*, ticket: Ticket, actor: User, priority: int, reason: str) -> Ticket:
    """The contractor changes an Incident's priority, with a reason the customer sees."""
    _require_contractor(actor)
    reason = reason.strip()
    if not reason:
        raise ActionRefused(_("Changing the priority needs a reason."), code="reason_required")
    if ticket.type != TicketType.INCIDENT:
        raise ActionRefused(
            _("Only Incidents have a priority; other types are always Normal."), code="not_incident"
        )
    if priority not in Priority.values:
        raise ActionRefused(_("Choose a priority."), code="bad_priority")
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.priority == priority:
            return locked
        old = locked.priority
        locked.priority = priority
        locked.save(update_fields=["priority", "updated_at"])
        _event(locked, actor, EventKind.PRIORITY, old=old, new=priority, reason=reason)
        signals.ticket_priority_changed.send(
            sender=Ticket, ticket=locked, actor=actor, old=old, new=priority, reason=reason
        )
        _refresh(ticket)
        return locked


def ticket_change_type(*, ticket: Ticket, actor: User, type: str, reason: str) -> Ticket:
    """The contractor reclassifies a ticket; leaving Incident resets the priority to Normal."""
    _require_contractor(actor)
    if type not in TicketType.values:
        raise ActionRefused(_("Choose a ticket type."), code="bad_type")
    if not reason.strip():
        raise ActionRefused(_("Changing the type needs a reason."), code="reason_required")
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.type == type:
            return locked
        old_type, old_priority = locked.type, locked.priority
        locked.type = type
        locked.priority = effective_priority(type=type, priority=old_priority)
        locked.save(update_fields=["type", "priority", "updated_at"])
        _event(locked, actor, EventKind.TYPE, old=old_type, new=type, reason=reason)
        if locked.priority != old_priority:
            _event(
                locked,
                actor,
                EventKind.PRIORITY,
                old=old_priority,
                new=locked.priority,
                reason=reason,
            )
            signals.ticket_priority_changed.send(
                sender=Ticket,
                ticket=locked,
                actor=actor,
                old=old_priority,
                new=locked.priority,
                reason=reason,
            )
        _refresh(ticket)
        return locked


def _set_assignee(ticket: Ticket, assignee: User | None, actor: User) -> None:
    old = ticket.assignee
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    _event(
        ticket,
        actor,
        EventKind.ASSIGNEE,
        old=old.get_full_name() if old else "",
        new=assignee.get_full_name() if assignee else "",
    )
    signals.ticket_assigned.send(sender=Ticket, ticket=ticket, actor=actor, old=old, new=assignee)


def ticket_assign(*, ticket: Ticket, actor: User, assignee: User | None) -> Ticket:
    """The contractor assigns the ticket to one of its staff (or to nobody)."""
    _require_contractor(actor)
    if assignee is not None and not assignee.is_contractor:
        raise ActionRefused(
            _("Tickets are assigned to the contractor's staff only."), code="bad_assignee"
        )
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.assignee_id != (assignee.pk if assignee else None):
            _set_assignee(locked, assignee, actor)
        _refresh(ticket)
        return locked


def ticket_watch(*, ticket: Ticket, user: User, watching: bool) -> None:
    """Follow a ticket's mail: a customer of its organisation, or contractor staff."""
    if not (
        user.is_contractor or (user.is_customer and user.organisation_id == ticket.organisation_id)
    ):
        raise ActionRefused(_("You may not do that with this ticket."), code="forbidden")
    if watching:
        ticket.watchers.add(user)
    else:
        ticket.watchers.remove(user)


# --- links -------------------------------------------------------------------------


def ticket_link(*, ticket: Ticket, actor: User, other: Ticket, kind: str) -> TicketLink:
    """Link two tickets of one organisation; the link shows on both."""
    if kind not in LinkKind.values:
        raise ActionRefused(_("Choose a kind of link."), code="bad_kind")
    if other.pk == ticket.pk:
        raise ActionRefused(_("A ticket cannot be linked to itself."), code="self")
    if other.organisation_id != ticket.organisation_id:
        raise ActionRefused(
            _("Tickets of different organisations cannot be linked."), code="other_organisation"
        )
    if kind != LinkKind.FOLLOWS and not actor.is_contractor:
        raise ActionRefused(_("Only the contractor's staff can link tickets."), code="forbidden")
    with transaction.atomic():
        link, created = TicketLink.objects.get_or_create(
            source=ticket, target=other, kind=kind, defaults={"created_by": actor}
        )
        if created:
            # Stored as codes and rendered in the reader's language (see templatetags).
            _event(ticket, actor, EventKind.LINK, new=f"{kind} {other.number}")
            _event(other, actor, EventKind.LINK, new=f"~{kind} {ticket.number}")
            signals.ticket_linked.send(sender=Ticket, link=link, actor=actor)
    return link


def ticket_unlink(*, link: TicketLink, actor: User) -> None:
    """The contractor removes a link; both tickets' histories say so."""
    _require_contractor(actor)
    with transaction.atomic():
        _event(link.source, actor, EventKind.UNLINK, old=f"{link.kind} {link.target.number}")
        _event(link.target, actor, EventKind.UNLINK, old=f"~{link.kind} {link.source.number}")
        link.delete()


# --- comments and files ------------------------------------------------------------


def _inspect_files(files: Iterable) -> list:
    from django.conf import settings

    files = [f for f in files if f]
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        raise ValidationError(
            _("Attach at most %(count)s files at a time.")
            % {"count": settings.ATTACHMENT_MAX_FILES}
        )
    return [(upload, inspect_upload(upload)) for upload in files]


def _store_files(*, ticket: Ticket, comment: Comment | None, uploader: User, files: list) -> None:
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


def _add_comment(
    *, ticket: Ticket, author: User, body: str, internal: bool, files: list
) -> Comment:
    comment = Comment.objects.create(ticket=ticket, author=author, body=body, is_internal=internal)
    _store_files(ticket=ticket, comment=comment, uploader=author, files=files)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    signals.comment_added.send(sender=Comment, comment=comment, actor=author)
    return comment


def comment_add(
    *, ticket: Ticket, author: User, body: str, internal: bool = False, files: Iterable = ()
) -> Comment:
    """Add a comment. A customer's reply resumes a waiting ticket and reopens a resolved one;
    closed and rejected tickets take no customer comments; internal notes are staff-only."""
    if not body.strip():
        raise ActionRefused(_("Write a comment first."), code="empty")
    if author.is_customer:
        if author.organisation_id != ticket.organisation_id:
            raise ActionRefused(_("You may not do that with this ticket."), code="forbidden")
        if internal:
            raise ActionRefused(
                _("Only the contractor's staff can write internal notes."), code="forbidden"
            )
    elif not author.is_contractor:
        raise ActionRefused(_("You may not do that with this ticket."), code="forbidden")
    inspected = _inspect_files(files)
    with transaction.atomic():
        # Decide on the locked row: an agent resolving at the same moment cannot leave a
        # customer's question on a resolved ticket.
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if author.is_customer:
            _customer_may_comment(locked)
            if locked.status == Status.WAITING_FOR_CUSTOMER:
                _fire(locked, "resume", author, why=_("The customer replied."))
            elif locked.status == Status.RESOLVED:
                _fire(locked, "reopen", author, why=_("The customer asked about the resolution."))
        comment = _add_comment(
            ticket=locked, author=author, body=body, internal=internal, files=inspected
        )
    ticket.refresh_from_db()
    return comment


def _customer_may_comment(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED:
        message = (
            reopen_refusal(ticket)
            if ticket.reopen_refused
            else _("%(number)s is closed. Reopen it to continue the conversation.")
            % {"number": ticket.number}
        )
        raise ActionRefused(message, code="closed")
    if ticket.status == Status.REJECTED:
        raise ActionRefused(
            _("%(number)s was rejected and takes no more comments; please file a new ticket.")
            % {"number": ticket.number},
            code="rejected",
        )


def _event(ticket, actor, kind, *, old="", new="", reason="") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, old_value=str(old), new_value=str(new), reason=reason
    )
