"""Who works on a ticket, who follows its mail, and its type and priority."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from sla import services as sla
from sla.models import RecalculationNote
from tickets import notify
from tickets.models import EventKind, Priority, Ticket, TicketType
from tickets.services._common import history, lock, require_contractor


def set_assignee(locked: Ticket, assignee, actor) -> None:
    """Assign the locked row, with its history entry and the mail to the new assignee."""
    old = locked.assignee
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    history(
        locked,
        actor,
        EventKind.ASSIGNEE,
        old=old.get_full_name() if old else "",
        new=assignee.get_full_name() if assignee else "",
    )
    notify.notify_assigned(ticket=locked, actor=actor, new=assignee)


def ticket_assign(*, ticket: Ticket, actor, assignee) -> Ticket:
    """The contractor assigns the ticket to one of its staff (or to nobody)."""
    require_contractor(actor)
    if assignee is not None and not assignee.is_contractor:
        raise ActionRefused(
            _("Tickets are assigned to the contractor's staff only."), code="bad_assignee"
        )
    with transaction.atomic():
        locked = lock(ticket)
        if locked.assignee_id != (assignee.pk if assignee else None):
            set_assignee(locked, assignee, actor)
        ticket.refresh_from_db()
        return locked


def ticket_watch(*, ticket: Ticket, user, watching: bool) -> None:
    """Follow a ticket's mail: a customer of its organisation, or contractor staff."""
    if not (
        user.is_contractor or (user.is_customer and user.organisation_id == ticket.organisation_id)
    ):
        raise ActionRefused(_("You may not do that with this ticket."), code="forbidden")
    if watching:
        ticket.watchers.add(user)
    else:
        ticket.watchers.remove(user)


def _set_priority(locked: Ticket, actor, *, old: int, reason: str) -> None:
    """The priority moved: history, the deadlines of the new targets, the mail (with the
    reason, which the rules say the customer is told)."""
    history(locked, actor, EventKind.PRIORITY, old=old, new=locked.priority, reason=reason)
    sla.sla_recalculate(ticket=locked, note=RecalculationNote.PRIORITY_CHANGED)
    notify.notify_priority_changed(
        ticket=locked, actor=actor, old=old, new=locked.priority, reason=reason
    )


def ticket_change_priority(*, ticket: Ticket, actor, priority: int, reason: str) -> Ticket:
    """The contractor changes an Incident's priority, with a reason the customer sees."""
    require_contractor(actor)
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
        locked = lock(ticket)
        if locked.priority == priority:
            return locked
        old = locked.priority
        locked.priority = priority
        locked.save(update_fields=["priority", "updated_at"])
        _set_priority(locked, actor, old=old, reason=reason)
        ticket.refresh_from_db()
        return locked


def ticket_change_type(*, ticket: Ticket, actor, type: str, reason: str) -> Ticket:
    """The contractor reclassifies a ticket; leaving Incident resets the priority to Normal."""
    from tickets.services.filing import effective_priority

    require_contractor(actor)
    if type not in TicketType.values:
        raise ActionRefused(_("Choose a ticket type."), code="bad_type")
    if not reason.strip():
        raise ActionRefused(_("Changing the type needs a reason."), code="reason_required")
    with transaction.atomic():
        locked = lock(ticket)
        if locked.type == type:
            return locked
        old_type, old_priority = locked.type, locked.priority
        locked.type = type
        locked.priority = effective_priority(type=type, priority=old_priority)
        locked.save(update_fields=["type", "priority", "updated_at"])
        history(locked, actor, EventKind.TYPE, old=old_type, new=type, reason=reason)
        if locked.priority != old_priority:
            _set_priority(locked, actor, old=old_priority, reason=reason)
        ticket.refresh_from_db()
        return locked
