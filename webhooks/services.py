"""Subscriptions and the webhook outbox.

Who may subscribe: a representative, for their organisation's tickets; the contractor's
staff, for every ticket (or one organisation's). Rows of the outbox are written by
``webhook_outbox_write`` in the event's transaction and queued after commit; delivery,
retries and disabling are ``webhooks.delivery``.

It knows no ticket states: ``tickets.notify`` hands it the event and the ticket's summary.
"""

import logging
import uuid
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from webhooks.models import Delivery, DeliveryStatus, Subscription, WebhookEvent
from webhooks.signing import new_secret
from webhooks.targets import target_resolve

logger = logging.getLogger(__name__)


def subscriptions_visible_to(user):
    """Staff see every subscription; a representative their organisation's; others none."""
    if not (user and user.is_authenticated):
        return Subscription.objects.none()
    if user.is_contractor:
        return Subscription.objects.all()
    if user.is_representative:
        return Subscription.objects.filter(organisation_id=user.organisation_id)
    return Subscription.objects.none()


def owner_may_subscribe(subscription: Subscription) -> bool:
    """The owner may still hear of these tickets: staff, or a representative of the
    subscription's organisation (one who left the role or the organisation no longer)."""
    owner = subscription.owner
    if owner.is_contractor:
        return True
    return (
        owner.is_representative
        and subscription.organisation_id is not None
        and owner.organisation_id == subscription.organisation_id
    )


def _scope(*, user, organisation_id: int | None) -> int | None:
    """The organisation a new subscription is for, as the rules allow the user."""
    if user.is_contractor:
        return organisation_id
    if user.is_representative:
        if organisation_id not in (None, user.organisation_id):
            raise ActionRefused(
                _("You can subscribe only to your own organisation's tickets."), code="forbidden"
            )
        return user.organisation_id
    raise ActionRefused(
        _("Only your organisation's representative can subscribe to webhooks."),
        code="not_representative",
    )


def _clean_events(events) -> list[str]:
    chosen = list(dict.fromkeys(events or []))
    if not chosen or any(e not in WebhookEvent.values for e in chosen):
        raise ActionRefused(
            _("Choose one or more events of: %(events)s.")
            % {"events": ", ".join(WebhookEvent.values)},
            code="bad_events",
        )
    return chosen


def subscription_create(
    *, user, target_url: str, events: list[str], organisation_id: int | None = None
) -> tuple[Subscription, str]:
    """A new endpoint for the user; returns it with its signing secret, shown once."""
    target_resolve(target_url)
    subscription = Subscription.objects.create(
        owner=user,
        organisation_id=_scope(user=user, organisation_id=organisation_id),
        target_url=target_url,
        events=_clean_events(events),
        secret=new_secret(),
    )
    return subscription, subscription.secret


def subscription_update(
    *, subscription: Subscription, target_url: str | None = None,
    events: list[str] | None = None, is_active: bool | None = None,
) -> Subscription:
    """Change the target or the events; (re)activating clears the failures and the reason."""
    fields = []
    if target_url is not None and target_url != subscription.target_url:
        target_resolve(target_url)
        subscription.target_url = target_url
        fields.append("target_url")
    if events is not None:
        subscription.events = _clean_events(events)
        fields.append("events")
    if is_active is not None and is_active != subscription.is_active:
        subscription.is_active = is_active
        fields.append("is_active")
        if is_active:
            subscription.failure_count, subscription.disabled_reason = 0, ""
            subscription.disabled_at = None
            fields += ["failure_count", "disabled_reason", "disabled_at"]
    if fields:
        subscription.save(update_fields=fields)
    return subscription


def subscription_rotate_secret(*, subscription: Subscription) -> str:
    """A new signing secret (shown once); the old one stops working at once."""
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret"])
    return subscription.secret


def subscription_delete(*, subscription: Subscription) -> None:
    subscription.delete()


def webhook_outbox_write(
    *, event_type: str, organisation_id: int | None, data, subscriptions=None
) -> list[Delivery]:
    """One row per active subscription to the event that may see the ticket's
    organisation, in the caller's transaction; queued after commit."""
    return webhook_outbox_write_many(
        event_type=event_type, items=[(organisation_id, data)], subscriptions=subscriptions
    )


def webhook_outbox_write_many(
    *, event_type: str, items: list[tuple[int | None, object]], subscriptions=None
):
    """The rows of many tickets' events (a sweep marks thousands) in two queries. Each
    item's data may be a callable, called only when some subscription takes it.
    ``subscriptions``: ``webhook_takers`` of the event, when the caller read them first."""
    if subscriptions is None:
        subscriptions = webhook_takers(
            event_type=event_type,
            organisation_ids={organisation_id for organisation_id, _data in items},
        )
    if not subscriptions:
        return []
    rows, now = [], timezone.now()
    for organisation_id, data in items:
        takers = [s for s in subscriptions if s.organisation_id in (None, organisation_id)]
        if not takers:
            continue
        event_id = uuid.uuid4()
        payload = {
            "id": str(event_id),
            "type": event_type,
            "created_at": now.isoformat(),
            "data": data() if callable(data) else data,
        }
        rows += [
            Delivery(
                subscription=s, event_id=event_id, event_type=event_type, payload=payload,
                created_at=now, next_attempt_at=now,
            )
            for s in takers
        ]
    if not rows:
        return []
    Delivery.objects.bulk_create(rows)
    transaction.on_commit(partial(dispatch, [row.pk for row in rows]), robust=True)
    return rows


def webhook_takers(*, event_type: str, organisation_ids: set) -> list[Subscription]:
    """The active subscriptions to the event that may see these organisations' tickets."""
    return [
        s
        for s in Subscription.objects.filter(
            Q(organisation__isnull=True) | Q(organisation_id__in=organisation_ids),
            is_active=True,
            owner__is_active=True,
        ).select_related("owner")
        if event_type in s.events and owner_may_subscribe(s)
    ]


def dispatch(delivery_ids: list) -> None:
    """After commit: queue the rows. A broker that is down costs a log line: the relay
    sends them later."""
    from webhooks import tasks

    try:
        if len(delivery_ids) == 1:
            tasks.enqueue_delivery(str(delivery_ids[0]))
        else:  # one publish per commit, as the mail outbox does; a worker fans it out
            tasks.enqueue_batch([str(pk) for pk in delivery_ids])
    except Exception:
        logger.warning("Could not queue webhook deliveries %s; the relay will", delivery_ids,
                       exc_info=True)


def delivery_redeliver(*, delivery: Delivery) -> bool:
    """The subscriber sends a finished delivery again (same event id), with fresh
    attempts; its log keeps the earlier ones. Refused while its endpoint is disabled."""
    if not delivery.subscription.is_active:
        raise ActionRefused(
            _("The endpoint is disabled; activate it first."), code="subscription_disabled"
        )
    again = Delivery.objects.filter(
        pk=delivery.pk, status__in=[DeliveryStatus.FAILED, DeliveryStatus.SUCCEEDED]
    ).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(),
        claimed_at=None, last_error="",
    )
    if not again:
        raise ActionRefused(_("This delivery is still on its way."), code="delivery_in_flight")
    transaction.on_commit(partial(dispatch, [delivery.pk]), robust=True)
    return True
