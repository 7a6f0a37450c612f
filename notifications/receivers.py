"""The outbox listens to the ticket lifecycle and the SLA sweep.

Each signal is sent inside the transaction of its cause, so the rows written here commit
or roll back with it; nothing here talks to the network.
"""

from django.dispatch import receiver

from notifications import services
from sla.signals import sla_events_recorded
from tickets import signals


@receiver(signals.ticket_filed, dispatch_uid="notifications.ticket_filed")
def ticket_filed(sender, ticket, actor=None, **kwargs):
    services.notify_ticket_filed(ticket=ticket, actor=actor)


@receiver(signals.ticket_status_changed, dispatch_uid="notifications.ticket_status_changed")
def ticket_status_changed(sender, ticket, actor=None, old="", new="", reason="", **kwargs):
    services.notify_status_changed(ticket=ticket, actor=actor, old=old, new=new, reason=reason)


@receiver(signals.ticket_priority_changed, dispatch_uid="notifications.ticket_priority_changed")
def ticket_priority_changed(sender, ticket, actor=None, old=None, new=None, reason="", **kwargs):
    services.notify_priority_changed(ticket=ticket, actor=actor, old=old, new=new, reason=reason)


@receiver(signals.ticket_assigned, dispatch_uid="notifications.ticket_assigned")
def ticket_assigned(sender, ticket, actor=None, new=None, **kwargs):
    services.notify_assigned(ticket=ticket, actor=actor, new=new)


@receiver(signals.comment_added, dispatch_uid="notifications.comment_added")
def comment_added(sender, comment, actor=None, **kwargs):
    services.notify_comment(comment=comment, actor=actor)


@receiver(sla_events_recorded, dispatch_uid="notifications.sla_events_recorded")
def sla_events(sender, kind, ticket_ids, **kwargs):
    services.notify_sla(kind=kind, ticket_ids=ticket_ids)
