"""Every kind of mail, made through the real services for one organisation's ticket."""

import datetime

from django.utils import timezone

from notifications.digests import _digest
from notifications.models import Event, Notification, NotificationStatus
from tests import factories
from tests.helpers import drive_to
from tickets import notify as ticket_mail
from tickets import services
from tickets.models import Priority, Status, TicketType


def every_event(*, customer, agent, second_agent, manager, tag: str = "") -> dict:
    """One ticket of the customer's organisation through every event; returns the tickets.

    ``tag`` marks every text written, so a test can look for it in other mails.
    """
    urgent = factories.TicketFactory(
        requester=customer,
        type=TicketType.INCIDENT,
        priority=Priority.URGENT,
        subject=f"Invoices are not sent {tag}",
        body=f"**Nothing** goes out since 9:00 {tag}",
    )
    services.ticket_accept(ticket=urgent, actor=agent)
    services.ticket_assign(ticket=urgent, actor=manager, assignee=second_agent)
    services.comment_add(ticket=urgent, author=customer, body=f"Still broken {tag}")
    services.comment_add(
        ticket=urgent, author=agent, body=f"Secret root cause {tag}", internal=True
    )
    services.comment_add(ticket=urgent, author=agent, body=f"Public answer {tag}")
    services.ticket_change_priority(
        ticket=urgent, actor=agent, priority=Priority.HIGH, reason=f"A workaround exists {tag}"
    )
    services.ticket_request_info(ticket=urgent, actor=second_agent, message=f"Which server? {tag}")
    ticket_mail.notify_sla(kind="resolution_at_risk", ticket_ids=[urgent.pk])
    ticket_mail.notify_sla(kind="resolution_breached", ticket_ids=[urgent.pk])

    rejected = factories.TicketFactory(requester=customer, subject=f"Rude words {tag}")
    services.ticket_reject(ticket=rejected, actor=agent, reason=f"Insults are not accepted {tag}")

    repeat = factories.TicketFactory(requester=customer, subject=f"Invoices again {tag}")
    services.ticket_merge(ticket=repeat, actor=agent, original=urgent)

    closed = factories.TicketFactory(requester=customer, subject=f"Old export issue {tag}")
    drive_to(closed, Status.CLOSED, agent=agent, customer=customer)
    ticket_mail.notify_reopen_refused(ticket=closed, user=customer)

    resolved = factories.TicketFactory(requester=customer, subject=f"Report template {tag}")
    drive_to(resolved, Status.RESOLVED, agent=agent, customer=customer)
    ticket_mail.notify_auto_close_warning(
        ticket=resolved, close_at=timezone.now() + datetime.timedelta(days=3)
    )
    # Two of the customer's mails about the urgent ticket as if over a cap: one digest.
    held = Notification.objects.filter(
        ticket=urgent, to_email=customer.email, event__in=[Event.COMMENT, Event.STATUS_CHANGED]
    ).order_by("pk")[:2]
    Notification.objects.filter(pk__in=[r.pk for r in held]).update(
        status=NotificationStatus.HELD, suppressed_reason="ticket_cap"
    )
    _digest(customer.email, urgent.pk)
    return {"urgent": urgent, "rejected": rejected, "closed": closed, "resolved": resolved}


def one_of_each() -> dict[str, Notification]:
    """The first row of each event in the outbox."""
    rows = {}
    for row in Notification.objects.order_by("pk"):
        rows.setdefault(row.event, row)
    return rows


ALL_EVENTS = [e.value for e in Event]
