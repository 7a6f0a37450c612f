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

from notifications.models import Event, Notification, NotificationStatus
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
        .order_by()
        .values_list("to_email", "ticket_id")
        .distinct()
    )
    written = 0
    for to_email, ticket_id in list(groups):
        written += _digest(to_email, ticket_id)
    return written


def _digest(to_email: str, ticket_id: int | None) -> int:
    with transaction.atomic():
        held = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=NotificationStatus.HELD, to_email=to_email, ticket_id=ticket_id)
            .order_by("created_at", "pk")
        )
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
            context={"items": [row.pk for row in held]},
            message_id=new_message_id(first.ticket),
        )
        Notification.objects.filter(pk__in=[row.pk for row in held]).update(
            status=NotificationStatus.DIGESTED, digest=digest
        )
        transaction.on_commit(partial(dispatch, [digest.pk]), robust=True)
    logger.info("Digest %s of %s mails to %s", digest.pk, len(held), to_email)
    return 1
