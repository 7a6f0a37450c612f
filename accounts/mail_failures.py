"""The managers hear of mail that could not be sent, in one mail per run.

The outbox knows no roles; people do. A failed row is reported once (its
``failure_reported_at``); the report itself is never reported, so a mail server that is
down for good cannot start a loop of reports.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from notifications.api import notify_people
from notifications.models import Notification, NotificationStatus

EVENT = "mail_failed"
LISTED = 50


def mail_failures_report() -> int:
    """Tell the active managers which mails failed since the last report; returns how many."""
    with transaction.atomic():
        failed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=NotificationStatus.FAILED, failure_reported_at__isnull=True)
            .exclude(event=EVENT)
            .select_related("ticket")
            .order_by("pk")[:500]
        )
        if not failed:
            return 0
        managers = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk")
        items = [
            {
                "to": row.to_email,
                "event": str(row.get_event_display()),
                "ticket": row.ticket.number if row.ticket else "",
                "error": row.last_error[:200],
            }
            for row in failed[:LISTED]
        ]
        notify_people(
            event=EVENT,
            users=managers,
            context={"count": len(failed), "items": items},
            essential=True,
        )
        Notification.objects.filter(pk__in=[row.pk for row in failed]).update(
            failure_reported_at=timezone.now()
        )
    return len(failed)
