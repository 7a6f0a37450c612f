"""Moderation listens to the ticket signals (every way in: portal, e-mail, admin, API)
and keeps the compiled word lists fresh."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from moderation import checks, services
from moderation.models import AllowedWord, BannedWord
from tickets import signals
from tickets.models import Status


@receiver(signals.ticket_filed, dispatch_uid="moderation.ticket_filed")
def ticket_filed(sender, ticket, **kwargs):
    services.flag_ticket(ticket=ticket)


@receiver(signals.comment_added, dispatch_uid="moderation.comment_added")
def comment_added(sender, comment, **kwargs):
    services.flag_comment(comment=comment)


@receiver(signals.ticket_status_changed, dispatch_uid="moderation.ticket_rejected")
def ticket_rejected(sender, ticket, actor=None, new=None, **kwargs):
    # Rejecting a flagged ticket is the agent's review of it.
    if new == Status.REJECTED and actor is not None:
        services.ticket_flags_mark_reviewed(ticket=ticket, actor=actor)


@receiver(post_save, sender=BannedWord, dispatch_uid="moderation.banned_saved")
@receiver(post_delete, sender=BannedWord, dispatch_uid="moderation.banned_deleted")
@receiver(post_save, sender=AllowedWord, dispatch_uid="moderation.allowed_saved")
@receiver(post_delete, sender=AllowedWord, dispatch_uid="moderation.allowed_deleted")
def word_lists_changed(sender, **kwargs):
    checks.lists_changed()
