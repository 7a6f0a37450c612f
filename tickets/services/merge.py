"""Merging a duplicate into its original: the conversation goes on in one place.

Beyond marking a duplicate (``transitions.ticket_mark_duplicate``), a merge brings the
duplicate's comments and files over to the original, merges the watchers and tells the
requesters.

The comments and files are **moved**, not copied. A comment is one thing one person
wrote at one moment: a copy would be a second record claiming the same words, with its
own id, and the mails already sent about it (their rows name the comment) would point
at the one left behind. Moving keeps each comment's author, time and id, and marks it
``merged_from`` the duplicate, so the original shows "from HD-…" beside it and both
histories say what moved. The duplicate keeps its own description, its history and the
"duplicate of" link, and anyone opening it is sent to the original by that link.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from sla import services as sla
from tickets import notify, rules
from tickets.models import Attachment, Comment, EventKind, LinkKind, Ticket, TicketLink
from tickets.services._common import check_unchanged, fire, history, require_contractor
from tickets.services.links import ticket_link


@dataclass(frozen=True)
class Merged:
    duplicate: Ticket
    original: Ticket
    comments: int
    files: int


def merge_refusal(duplicate: Ticket, original: Ticket) -> ActionRefused | None:
    """Why these two tickets cannot be merged, if they cannot (asked again on the locked
    rows, and by the admin's first step so it can say so at once)."""
    if original.pk == duplicate.pk:
        return ActionRefused(_("A ticket cannot be merged into itself."), code="self")
    if original.organisation_id != duplicate.organisation_id:
        return ActionRefused(
            _("Tickets of different organisations cannot be merged."), code="other_organisation"
        )
    into = rules.duplicate_original(original)
    if into is not None:
        return ActionRefused(
            _(
                "%(number)s was itself closed as a duplicate of %(original)s; "
                "merge into %(original)s."
            )
            % {"number": original.number, "original": into.number},
            code="chain",
        )
    if not original.is_open:
        return ActionRefused(
            _("%(number)s is “%(status)s”; a ticket can be merged only into an open one.")
            % {"number": original.number, "status": original.get_status_display()},
            code="original_closed",
        )
    if TicketLink.objects.filter(target=duplicate, kind=LinkKind.DUPLICATE_OF).exists():
        return ActionRefused(
            _(
                "Other tickets are duplicates of %(number)s: merging it would make a chain. "
                "Merge %(original)s into %(number)s instead, or those tickets first."
            )
            % {"number": duplicate.number, "original": original.number},
            code="chain",
        )
    return None


def _lock_both(duplicate: Ticket, original: Ticket) -> tuple[Ticket, Ticket]:
    """Both rows locked, always in the order of their ids: two merges of the same pair in
    opposite directions wait for each other instead of deadlocking."""
    rows = {
        row.pk: row
        for row in Ticket.objects.select_for_update().filter(pk__in=[duplicate.pk, original.pk])
        .order_by("pk")
    }
    return rows[duplicate.pk], rows[original.pk]


def ticket_merge(
    *,
    ticket: Ticket,
    actor,
    original: Ticket,
    expected_status: str | None = None,
    expected_original_status: str | None = None,
) -> Merged:
    """Merge ``ticket`` (the duplicate) into ``original``, in one transaction.

    The duplicate closes as a duplicate through the state machine (its SLA clocks stop
    without an outcome), linked to the original; its comments and files move to the
    original, marked as from it; its watchers, and its requester if another person,
    watch the original; both histories say so; the requesters and watchers are told in
    one mail. Each ``expected_*`` status is the one the actor saw: a change since is
    refused."""
    require_contractor(actor)
    refusal = merge_refusal(ticket, original)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        duplicate, into = _lock_both(ticket, original)
        check_unchanged(duplicate, expected_status or ticket.status)
        check_unchanged(into, expected_original_status)
        refusal = merge_refusal(duplicate, into)
        if refusal is not None:
            raise refusal
        why = _("Merged into %(number)s") % {"number": into.number}
        old = fire(duplicate, "mark_duplicate", actor, why=why)
        now = timezone.now()
        sla.sla_stop(ticket=duplicate, at=now, outcome=False)
        ticket_link(ticket=duplicate, actor=actor, other=into, kind=LinkKind.DUPLICATE_OF)

        comments = Comment.objects.filter(ticket=duplicate).update(
            ticket=into, merged_from=duplicate
        )
        files = Attachment.objects.filter(ticket=duplicate).update(
            ticket=into, merged_from=duplicate
        )
        watchers = list(duplicate.watchers.all())
        if duplicate.requester_id != into.requester_id:
            watchers.append(duplicate.requester)
        into.watchers.add(*watchers)
        Ticket.objects.filter(pk=into.pk).update(updated_at=now)

        # No counts in the history: customers read it, and internal notes move too.
        for side in (duplicate, into):
            history(side, actor, EventKind.MERGE, old=duplicate.number, new=into.number)
        notify.notify_merged(
            duplicate=duplicate, original=into, actor=actor, old=old, comments=comments, files=files
        )
    ticket.refresh_from_db()
    original.refresh_from_db()
    return Merged(duplicate=ticket, original=original, comments=comments, files=files)
