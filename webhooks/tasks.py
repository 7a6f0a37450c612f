"""Celery tasks of the webhook outbox (on the mail queue): take an id, call a service."""

from celery import shared_task
from django.conf import settings

from webhooks import delivery


def _route() -> dict:
    queue = settings.MAIL_CELERY_QUEUE
    return {"queue": queue} if queue else {}


def enqueue_delivery(delivery_id: str, *, countdown: float | None = None) -> None:
    """Publish once, without the broker retry loop: a web request must not hang on Redis."""
    deliver_webhook.apply_async((delivery_id,), countdown=countdown, retry=False, **_route())


def enqueue_batch(delivery_ids: list[str]) -> None:
    """Publish one message for a commit's deliveries (the web request pays one round trip)."""
    deliver_batch.apply_async((delivery_ids,), retry=False, **_route())


@shared_task(ignore_result=True, acks_late=True)
def deliver_batch(delivery_ids: list[str]):
    """Fan a commit's deliveries out to one task each, so several workers share them."""
    for pk in delivery_ids:
        enqueue_delivery(pk)


@shared_task(bind=True, ignore_result=True, acks_late=True, max_retries=None)
def deliver_webhook(self, delivery_id: str):
    """Post one delivery; a failed attempt comes back after its backoff."""
    result = delivery.delivery_send(delivery_id=delivery_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in, **_route())


@shared_task(ignore_result=True)
def relay_webhooks():
    """Every minute (beat): queue the deliveries no task is carrying."""
    delivery.deliveries_relay()
