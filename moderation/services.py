"""Writes of the moderation app: flags on improper submissions and their review."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from moderation.checks import improper_words, improper_words_if_read
from moderation.models import Flag


def flag_ticket(*, ticket) -> Flag | None:
    """A ticket whose subject or description has improper words is flagged for review."""
    words = improper_words(f"{ticket.subject}\n{ticket.body}")
    if not words:
        return None
    return Flag.objects.create(ticket=ticket, words=words)


def may_flag_ticket(ticket) -> bool:
    """Whether ``flag_ticket`` may have something to write: False only when the words
    are known, without a query, to be clean (the caller then needs no savepoint)."""
    words = improper_words_if_read(f"{ticket.subject}\n{ticket.body}")
    return words is None or bool(words)


def may_flag_comment(comment) -> bool:
    """``may_flag_ticket`` for ``flag_comment``."""
    if comment.is_internal or comment.author.is_contractor:
        return False
    words = improper_words_if_read(comment.body)
    return words is None or bool(words)


def flag_comment(*, comment) -> Flag | None:
    """A customer's comment with improper words flags its ticket for review."""
    if comment.is_internal or comment.author.is_contractor:
        return None
    words = improper_words(comment.body)
    if not words:
        return None
    return Flag.objects.create(ticket=comment.ticket, comment=comment, words=words)


def flags_mark_reviewed(*, flags: Iterable[Flag], actor: User) -> int:
    """Staff looked at these flags; the tickets leave the review queue. Returns how many."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for flag in flags:
            if flag.reviewed_at is not None:
                continue
            flag.reviewed_at, flag.reviewed_by = now, actor
            flag.save(update_fields=["reviewed_at", "reviewed_by"])
            count += 1
    return count


def ticket_flags_mark_reviewed(*, ticket, actor: User) -> int:
    """All open flags of a ticket, e.g. when an agent rejects it."""
    open_flags = Flag.objects.select_for_update().filter(ticket=ticket, reviewed_at__isnull=True)
    return flags_mark_reviewed(flags=open_flags, actor=actor)
