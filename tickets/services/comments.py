"""The conversation: public comments of both parties and the contractor's internal notes."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from core.optional import optional
from moderation import services as moderation
from tickets import notify, rules
from tickets.attachments import inspected_or_refused
from tickets.models import Comment, Status, Ticket
from tickets.services._common import lock, store_files


def add_comment(*, ticket: Ticket, author, body: str, internal: bool, files: list) -> Comment:
    """The comment with its files, on the locked row; its mail; optional moderation."""
    comment = Comment.objects.create(ticket=ticket, author=author, body=body, is_internal=internal)
    store_files(ticket=ticket, comment=comment, uploader=author, files=files)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    notify.notify_comment(comment=comment, actor=author)
    if author.is_customer and not internal and moderation.may_flag_comment(comment):
        with optional("moderation flags of a comment", ticket=ticket.number):
            moderation.flag_comment(comment=comment)
    return comment


def comment_add(
    *, ticket: Ticket, author, body: str, internal: bool = False, files: Iterable = ()
) -> Comment:
    """Add a comment. A customer's reply resumes a waiting ticket and reopens a resolved one,
    or a closed one within the reopen window; rejected tickets and those closed for good
    take no customer comments; internal notes are staff-only
    (``tickets.rules.comment_refusal``, the rule the portal and mail in ask too)."""
    from tickets.services.transitions import reopen_locked, resume_locked

    if not body.strip():
        raise ActionRefused(_("Write a comment first."), code="empty")
    if not (author.is_customer or author.is_contractor):
        raise ActionRefused(_("You may not do that with this ticket."), code="forbidden")
    refusal = rules.comment_refusal(author, ticket, internal=internal)
    if refusal is not None and refusal.code == "forbidden":
        raise refusal
    inspected = inspected_or_refused(files)
    with transaction.atomic():
        # Decide on the locked row: an agent resolving at the same moment cannot leave a
        # customer's question on a resolved ticket.
        locked = lock(ticket)
        refusal = rules.comment_refusal(author, locked, internal=internal)
        if refusal is not None:
            raise refusal
        if author.is_customer:
            if locked.status == Status.WAITING_FOR_CUSTOMER:
                resume_locked(locked, author, why=_("The customer replied."))
            elif locked.status == Status.RESOLVED:
                reopen_locked(locked, author, why=_("The customer asked about the resolution."))
            elif locked.status == Status.CLOSED:
                reopen_locked(locked, author, why=_("The customer wrote on the closed ticket."))
        comment = add_comment(
            ticket=locked, author=author, body=body, internal=internal, files=inspected
        )
    ticket.refresh_from_db()
    return comment
