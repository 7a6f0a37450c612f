"""The SLA clock listens to the ticket's lifecycle (tickets.signals)."""

from django.dispatch import receiver
from django.utils import timezone

from sla import services
from tickets import signals
from tickets.models import Status


@receiver(signals.ticket_filed)
def start_clock(sender, ticket, **kwargs):
    services.sla_start(ticket=ticket, at=ticket.created_at)


@receiver(signals.ticket_status_changed)
def follow_status(sender, ticket, old, new, **kwargs):
    at = timezone.now()
    if old == Status.NEW and new == Status.IN_PROGRESS:
        services.sla_record_reaction(ticket=ticket, at=ticket.first_accepted_at or at)
    elif new == Status.WAITING_FOR_CUSTOMER:
        services.sla_pause(ticket=ticket, at=at)
    elif new == Status.IN_PROGRESS:  # the customer answered, or a reopen
        services.sla_resume(ticket=ticket, at=at)
    elif new == Status.RESOLVED:
        services.sla_stop(ticket=ticket, at=at, outcome=True)
    elif new == Status.REJECTED or (new == Status.CLOSED and old != Status.RESOLVED):
        services.sla_stop(ticket=ticket, at=at, outcome=False)


@receiver(signals.ticket_priority_changed)
def follow_priority(sender, ticket, **kwargs):
    services.sla_recalculate(ticket=ticket, note="priority changed")


def connect_billing() -> None:
    """While an approved out-of-hours window is open, the ticket's clock runs around the
    clock: recompute its deadlines when a window is approved (billing is optional)."""
    from billing.signals import out_of_hours_approved

    out_of_hours_approved.connect(follow_out_of_hours, dispatch_uid="sla-out-of-hours")


def follow_out_of_hours(sender, ticket, **kwargs):
    from tickets.models import Ticket

    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    services.sla_recalculate(ticket=locked, note="out-of-hours window approved")
