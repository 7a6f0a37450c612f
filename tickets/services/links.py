"""Links between tickets of one organisation; each shows on both tickets' histories."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from tickets.models import EventKind, LinkKind, Ticket, TicketLink, forget_duplicate_link
from tickets.services._common import history, require_contractor


def ticket_link(*, ticket: Ticket, actor, other: Ticket, kind: str) -> TicketLink:
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
        forget_duplicate_link(ticket, other)
        if created:
            # Stored as codes and rendered in the reader's language (see templatetags).
            history(ticket, actor, EventKind.LINK, new=f"{kind} {other.number}")
            history(other, actor, EventKind.LINK, new=f"~{kind} {ticket.number}")
    return link


def ticket_unlink(*, link: TicketLink, actor) -> None:
    """The contractor removes a link; both tickets' histories say so."""
    require_contractor(actor)
    with transaction.atomic():
        history(link.source, actor, EventKind.UNLINK, old=f"{link.kind} {link.target.number}")
        history(link.target, actor, EventKind.UNLINK, old=f"~{link.kind} {link.source.number}")
        link.delete()
        forget_duplicate_link(link.source, link.target)
