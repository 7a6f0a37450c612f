"""Celery tasks of the outbox: take an id, call a service."""

from celery import shared_task
from django.conf import settings

from notifications import delivery, digests


def _route() -> dict:
    queue = settings.MAIL_CELERY_QUEUE
    return {"queue": queue} if queue else {}


def enqueue_send(notification_id: int, *, countdown: float | None = None) -> None:
    """Publish once, without the broker retry loop: a web request must not hang on Redis."""
    send_notification.apply_async((notification_id,), countdown=countdown, retry=False, **_route())


def enqueue_batch(notification_ids: list[int]) -> None:
    """Publish one message for a commit's mails (the web request pays one round trip)."""
    send_batch.apply_async((notification_ids,), retry=False, **_route())


@shared_task(ignore_result=True, acks_late=True)
def send_batch(notification_ids: list[int]):
    """Fan a commit's mails out to one task each, so several workers share them."""
    for pk in notification_ids:
        enqueue_send(pk)


@shared_task(bind=True, ignore_result=True, acks_late=True, max_retries=None)
def send_notification(self, notification_id: int):
    """Send one outbox row; a transient failure comes back after a backoff with jitter.

    If the retry cannot be queued, Celery drops this message and the row, still pending,
    is picked up by the relay.
    """
    result = delivery.notification_send(notification_id=notification_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in, **_route())


@shared_task(ignore_result=True)
def relay_notifications():
    """Every minute (beat): queue the rows no task is carrying."""
    delivery.notifications_relay()


@shared_task(ignore_result=True)
def send_digests():
    """Every minute (beat): mail held over a cap goes out as one digest per ticket."""
    digests.digests_run()


@shared_task(ignore_result=True)
def send_daily_digests():
    """Once a day (beat): representatives get colleagues' ticket mail in one digest."""
    digests.daily_digests_run()
