"""Webhooks for operations: the metrics series, the relay that queues what no task
carries, a rolled-back change that sends nothing, and the staff admin."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from helpdesk import metrics
from tests import factories
from tests.webhook_support import deliver_pending, serving
from webhooks import delivery as webhook_delivery
from webhooks import services as webhooks
from webhooks.models import Delivery, DeliveryStatus, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint():
    yield from serving()


@pytest.fixture
def private_targets(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings


def test_the_metrics_count_webhook_deliveries_by_outcome(
    client, private_targets, endpoint, representative, customer, settings
):
    settings.METRICS_TOKEN = "t"
    cache.delete(metrics.CACHE_KEY)
    webhooks.subscription_create(
        user=representative, target_url=endpoint.url(), events=["ticket.created"]
    )
    factories.TicketFactory(requester=customer)
    factories.TicketFactory(requester=customer)
    endpoint.failures = 1
    deliver_pending()

    body = client.get("/metrics", headers={"Authorization": "Bearer t"}).content.decode()
    cache.delete(metrics.CACHE_KEY)

    assert 'helpdesk_webhook_deliveries{status="succeeded"} 1.0' in body
    assert 'helpdesk_webhook_deliveries{status="pending"} 1.0' in body


def test_the_relay_queues_due_and_stuck_deliveries_only(
    private_targets, endpoint, representative, customer, monkeypatch
):
    webhooks.subscription_create(
        user=representative, target_url=endpoint.url(), events=["ticket.created"]
    )
    for _ in range(3):
        factories.TicketFactory(requester=customer)
    due, fresh, stuck = Delivery.objects.order_by("created_at")
    now = timezone.now()
    Delivery.objects.filter(pk=due.pk).update(next_attempt_at=now - timedelta(minutes=5))
    Delivery.objects.filter(pk=stuck.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=now - timedelta(hours=1)
    )
    queued = []
    monkeypatch.setattr(webhook_delivery, "dispatch", lambda ids: queued.extend(ids))

    assert webhook_delivery.deliveries_relay(now=now) == 2

    assert sorted(map(str, queued)) == sorted([str(due.pk), str(stuck.pk)])
    assert webhook_delivery.delivery_send(delivery_id=stuck.pk).outcome == "succeeded"
    assert fresh.pk not in queued


def test_a_change_that_rolls_back_writes_no_delivery(
    private_targets, endpoint, representative, customer
):
    webhooks.subscription_create(
        user=representative, target_url=endpoint.url(), events=["ticket.created"]
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.TicketFactory(requester=customer)
        assert Delivery.objects.count() == 1
        raise RuntimeError("the use case failed after notifying")
    assert Delivery.objects.count() == 0


def test_deliveries_are_queued_only_after_commit(
    private_targets, endpoint, representative, customer, django_capture_on_commit_callbacks,
    monkeypatch,
):
    from webhooks import tasks

    webhooks.subscription_create(
        user=representative, target_url=endpoint.url(), events=["ticket.created"]
    )
    published = []
    monkeypatch.setattr(tasks, "enqueue_delivery", published.append)
    with django_capture_on_commit_callbacks(execute=True):
        factories.TicketFactory(requester=customer)
        assert published == []
    assert published == [str(Delivery.objects.get().pk)]


def test_staff_add_a_subscription_in_the_admin_and_see_its_secret_once(
    client, private_targets, manager
):
    client.force_login(manager)
    response = client.post(
        "/admin/webhooks/subscription/add/",
        {"target_url": "http://127.0.0.1:9/all", "events": ["ticket.created"]},
        follow=True,
    )
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.owner == manager and subscription.organisation is None
    assert subscription.secret in response.content.decode()
    assert subscription.secret not in client.get(
        f"/admin/webhooks/subscription/{subscription.pk}/change/"
    ).content.decode()


def test_a_customer_cannot_open_the_webhook_admin(client, representative):
    client.force_login(representative)
    response = client.get("/admin/webhooks/subscription/")
    assert response.status_code in (302, 403)


def test_the_task_posts_and_asks_celery_to_retry_a_failed_attempt(
    private_targets, endpoint, representative, customer
):
    from celery.exceptions import Retry

    from webhooks.tasks import deliver_webhook

    webhooks.subscription_create(
        user=representative, target_url=endpoint.url(), events=["ticket.created"]
    )
    factories.TicketFactory(requester=customer)
    pk = str(Delivery.objects.get().pk)
    endpoint.failures = 1

    with pytest.raises(Retry):
        deliver_webhook(pk)  # called directly: Celery raises Retry instead of publishing
    deliver_webhook(pk)

    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED
    assert len(endpoint.requests) == 2


def test_a_commit_publishes_its_deliveries_once_and_a_worker_fans_them_out(
    private_targets, endpoint, representative, agent, customer,
    django_capture_on_commit_callbacks,
):
    from celery import signals

    from webhooks import tasks

    for user in (representative, agent):  # two subscribers of one event: two deliveries
        webhooks.subscription_create(
            user=user, target_url=endpoint.url(), events=["ticket.created"]
        )
    published = []

    def count(sender=None, body=None, **kwargs):  # Celery's own signal, after each publish
        if sender.startswith("webhooks."):
            published.append((sender, body[0]))

    signals.after_task_publish.connect(count, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            factories.TicketFactory(requester=customer)
            assert published == []  # nothing before the commit
        ids = sorted(str(pk) for pk in Delivery.objects.values_list("pk", flat=True))
        assert len(ids) == 2
        assert [(name, sorted(args[0])) for name, args in published] == [
            ("webhooks.tasks.deliver_batch", ids)
        ]
        published.clear()
        tasks.deliver_batch.run(ids)  # what the worker does with the batch
        assert sorted(args[0] for _name, args in published) == ids
        assert {name for name, _args in published} == {"webhooks.tasks.deliver_webhook"}
    finally:
        signals.after_task_publish.disconnect(count)


def test_the_webhook_admin_lets_in_whom_every_other_admin_lets_in(rf, agent, customer):
    from django.contrib import admin

    from tests.factories import CustomerFactory

    superuser = CustomerFactory(is_superuser=True)  # a superuser outside the staff roles
    for model in (Subscription, Delivery):
        model_admin = admin.site._registry[model]
        for user, allowed in ((agent, True), (superuser, True), (customer, False)):
            request = rf.get("/admin/")
            request.user = user
            assert model_admin.has_module_permission(request) is allowed, (model, user)
            assert model_admin.has_view_permission(request) is allowed, (model, user)


def test_the_subscription_list_costs_the_same_queries_for_1_or_5_subscriptions(
    client, private_targets, endpoint, manager, representative, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    webhooks.subscription_create(user=representative, target_url=endpoint.url(),
                                 events=["ticket.created"])
    client.get("/admin/webhooks/subscription/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/admin/webhooks/subscription/").status_code == 200
    for user in (manager, representative, representative, manager):
        webhooks.subscription_create(user=user, target_url=endpoint.url(),
                                     events=["ticket.created"])
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get("/admin/webhooks/subscription/").content.decode()
    assert page.count(f">{endpoint.url()}<") == 5  # one row each
