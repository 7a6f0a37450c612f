"""Mail held over a cap goes out as one digest per ticket and address when the window ends.

The caps stop loops, not work: instead of twelve mails in ten minutes about one ticket,
the person gets the ten and then one more that lists the rest ("2 more updates on
HD-2026-00042"), threaded with the ticket's other mail.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.models import Event, Notification, NotificationStatus, SuppressionReason
from notifications.services import dispatch, new_message_id

logger = logging.getLogger(__name__)


def digests_run(*, now=None) -> int:
    """Write the digest of every (address, ticket) whose oldest held mail has waited out
    the cap window; returns how many digests were written. Safe to run in parallel: the
    held rows are taken under a lock that skips what another run holds."""
    now = now or timezone.now()
    due_before = now - timedelta(minutes=settings.MAIL_CAP_WINDOW_MINUTES)
    groups = (
        Notification.objects.filter(status=NotificationStatus.HELD, created_at__lte=due_before)
        .exclude(suppressed_reason=SuppressionReason.DAILY)
        .order_by()
        .values_list("to_email", "ticket_id")
        .distinct()
    )
    written = 0
    for to_email, ticket_id in list(groups):
        written += _digest(to_email, ticket_id)
    return written


def daily_digests_run() -> int:
    """Once a day (beat, REPRESENTATIVE_DIGEST_HOUR): each representative gets one mail
    with what happened on colleagues' tickets since the last one."""
    addresses = (
        Notification.objects.filter(
            status=NotificationStatus.HELD, suppressed_reason=SuppressionReason.DAILY
        )
        .order_by()
        .values_list("to_email", flat=True)
        .distinct()
    )
    return sum(_digest(to_email, None, daily=True) for to_email in list(addresses))


def _digest(to_email: str, ticket_id: int | None, *, daily: bool = False) -> int:
    with transaction.atomic():
        held = Notification.objects.select_for_update(skip_locked=True).filter(
            status=NotificationStatus.HELD, to_email=to_email
        )
        if daily:
            held = held.filter(suppressed_reason=SuppressionReason.DAILY)
        else:
            held = held.filter(ticket_id=ticket_id).exclude(
                suppressed_reason=SuppressionReason.DAILY
            )
        held = list(held.order_by("created_at", "pk"))
        if not held:
            return 0
        first = held[0]
        digest = Notification.objects.create(
            event=Event.DIGEST,
            ticket_id=ticket_id,
            recipient_id=first.recipient_id,
            to_email=to_email,
            language=first.language,
            audience=first.audience,
            context={"items": [row.pk for row in held], "daily": daily},
            message_id=new_message_id(None if daily else first.ticket),
            essential=True,
        )
        Notification.objects.filter(pk__in=[row.pk for row in held]).update(
            status=NotificationStatus.DIGESTED, digest=digest
        )
        transaction.on_commit(partial(dispatch, [digest.pk]), robust=True)
    logger.info("Digest %s of %s mails to %s", digest.pk, len(held), to_email)
    return 1
