"""Signed webhooks delivered to a real HTTP endpoint started by the test: the signature
checks with the README's snippet, failures are retried with backoff, an endpoint that
keeps failing is disabled and its owner mailed, private targets are refused, and a
customer's endpoint never hears of an internal note."""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from notifications.models import Notification
from tests import factories
from tests.webhook_support import deliver_pending, serving
from tickets import services
from tickets.models import Priority, Status, Ticket
from webhooks import services as webhooks
from webhooks.delivery import delivery_send
from webhooks.models import Delivery, DeliveryStatus, Subscription, WebhookEvent
from webhooks.targets import TargetRefused, target_resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint():
    yield from serving()


@pytest.fixture
def private_targets(settings):
    """The test server is on 127.0.0.1: let webhooks go there."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings

ALL_EVENTS = list(WebhookEvent.values)
INTERNAL_NOTE = "Internal: their DBA dropped the index again"


def readme_verify():
    """The verification snippet exactly as the README documents it."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    code = re.search(r"```python\n(# verify_webhook\.py\n.*?)```", readme, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "verify_webhook.py", "exec"), namespace)  # noqa: S102 - our own README
    return namespace["verify"]


def subscribe(user, endpoint, path="/hook", events=None, **kwargs):
    return webhooks.subscription_create(
        user=user, target_url=endpoint.url(path), events=events or ALL_EVENTS, **kwargs
    )


def test_a_filed_ticket_is_posted_signed_and_the_readme_snippet_verifies_it(
    private_targets, endpoint, representative, customer
):
    subscription, secret = subscribe(representative, endpoint)
    ticket = factories.TicketFactory(requester=customer)

    assert deliver_pending() == ["succeeded"]

    (request,) = endpoint.requests
    headers, body = request["headers"], request["body"]
    verify = readme_verify()
    assert verify(secret, body, headers["Helpdesk-Signature"])
    assert not verify("whsec_wrong", body, headers["Helpdesk-Signature"])
    assert not verify(secret, body + b" ", headers["Helpdesk-Signature"])
    payload = json.loads(body)
    delivery = Delivery.objects.get()
    assert headers["Helpdesk-Event"] == "ticket.created" == payload["type"]
    assert headers["Helpdesk-Delivery"] == str(delivery.pk)
    assert headers["Helpdesk-Event-Id"] == payload["id"] == str(delivery.event_id)
    assert payload["created_at"]
    summary = payload["data"]["ticket"]
    assert summary["number"] == ticket.number
    assert summary["subject"] == ticket.subject
    assert summary["status"] == Status.NEW
    assert summary["organisation"] == {
        "id": ticket.organisation_id, "name": ticket.organisation.name
    }
    assert delivery.status == DeliveryStatus.SUCCEEDED
    (attempt,) = delivery.log.all()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 204, "")


def test_an_old_signature_is_refused_by_the_snippet(private_targets, endpoint, representative):
    from webhooks.signing import signature

    verify = readme_verify()
    old = int((timezone.now() - timedelta(minutes=10)).timestamp())
    assert not verify("s", b"{}", signature(secret="s", timestamp=old, body=b"{}"))


def test_status_priority_and_public_comment_events_carry_their_facts(
    private_targets, endpoint, representative, customer, agent
):
    ticket = factories.TicketFactory(requester=customer, type="incident", priority=Priority.LOW)
    subscribe(representative, endpoint)
    services.ticket_accept(ticket=ticket, actor=agent)
    services.ticket_change_priority(
        ticket=ticket, actor=agent, priority=Priority.HIGH, reason="Production is slow."
    )
    services.comment_add(ticket=ticket, author=agent, body="We are on it.")

    assert set(deliver_pending()) == {"succeeded"}

    events = {json.loads(b)["type"]: json.loads(b)["data"] for b in endpoint.bodies()}
    assert events["ticket.status_changed"]["old_status"] == Status.NEW
    assert events["ticket.status_changed"]["new_status"] == Status.IN_PROGRESS
    assert events["ticket.priority_changed"]["new_priority"] == Priority.HIGH
    assert events["ticket.priority_changed"]["reason"] == "Production is slow."
    assert events["ticket.comment_added"]["comment"]["body"] == "We are on it."


def test_only_the_chosen_events_of_the_subscribers_own_organisation_are_sent(
    private_targets, endpoint, representative, customer, outsider, agent
):
    subscribe(representative, endpoint, events=["ticket.comment_added"])
    ticket = factories.TicketFactory(requester=customer)
    elsewhere = factories.TicketFactory(requester=outsider)
    services.comment_add(ticket=ticket, author=agent, body="Ours")
    services.comment_add(ticket=elsewhere, author=agent, body="Theirs")

    deliver_pending()

    assert [json.loads(b)["data"]["comment"]["body"] for b in endpoint.bodies()] == ["Ours"]


def test_a_customers_endpoint_never_receives_an_internal_note(
    private_targets, endpoint, representative, customer, agent
):
    subscribe(representative, endpoint, path="/customer")
    subscribe(agent, endpoint, path="/staff")
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    services.comment_add(ticket=ticket, author=agent, body=INTERNAL_NOTE, internal=True)
    services.comment_add(ticket=ticket, author=agent, body="A public reply")

    deliver_pending()

    customer_bodies = b"".join(endpoint.bodies("/customer"))
    assert b"A public reply" in customer_bodies
    assert INTERNAL_NOTE.encode() not in customer_bodies
    assert INTERNAL_NOTE.encode() not in b"".join(endpoint.bodies("/staff"))
    assert not Delivery.objects.filter(payload__data__comment__body=INTERNAL_NOTE).exists()


def test_a_representative_who_left_the_role_gets_no_more_events(
    private_targets, endpoint, representative, customer
):
    from accounts.models import Role

    subscribe(representative, endpoint)
    representative.role = Role.CUSTOMER_EMPLOYEE
    representative.save(update_fields=["role"])

    factories.TicketFactory(requester=customer)

    assert not Delivery.objects.exists()


def test_a_delivery_waiting_when_its_owner_left_is_not_sent(
    private_targets, endpoint, representative, customer
):
    subscribe(representative, endpoint)
    factories.TicketFactory(requester=customer)
    representative.is_active = False
    representative.save(update_fields=["is_active"])

    assert deliver_pending() == ["failed"]

    assert endpoint.requests == []


def test_sla_at_risk_and_breached_reach_the_subscribers(
    private_targets, endpoint, agent, customer
):
    from tickets import notify

    subscribe(agent, endpoint, events=["ticket.sla_at_risk", "ticket.sla_breached"])
    ticket = factories.TicketFactory(requester=customer)
    notify.notify_sla(kind="reaction_at_risk", ticket_ids=[ticket.pk])
    notify.notify_sla(kind="resolution_breached", ticket_ids=[ticket.pk])

    deliver_pending()

    got = sorted((json.loads(b)["type"], json.loads(b)["data"]["clock"]) for b in endpoint.bodies())
    assert got == [("ticket.sla_at_risk", "reaction"), ("ticket.sla_breached", "resolution")]


def test_a_failing_endpoint_is_retried_with_growing_backoff_then_succeeds(
    private_targets, endpoint, representative, customer, settings
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    subscription, _secret = subscribe(representative, endpoint, events=["ticket.created"])
    factories.TicketFactory(requester=customer)
    delivery = Delivery.objects.get()
    endpoint.failures = 2

    first = delivery_send(delivery_id=delivery.pk)
    second = delivery_send(delivery_id=delivery.pk)
    third = delivery_send(delivery_id=delivery.pk)

    assert (first.outcome, second.outcome, third.outcome) == ("retry", "retry", "succeeded")
    assert 15 <= first.retry_in <= 30
    assert 30 <= second.retry_in <= 60
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 3
    log = list(delivery.log.values_list("number", "status_code", "error"))
    assert log == [(1, 500, "HTTP 500"), (2, 500, "HTTP 500"), (3, 204, "")]
    assert len(endpoint.requests) == 3
    assert len({r["headers"]["Helpdesk-Delivery"] for r in endpoint.requests}) == 1
    subscription.refresh_from_db()
    assert subscription.failure_count == 0 and subscription.is_active


def test_a_retry_is_due_later_and_a_sent_delivery_is_not_sent_twice(
    private_targets, endpoint, representative, customer
):
    subscribe(representative, endpoint, events=["ticket.created"])
    factories.TicketFactory(requester=customer)
    delivery = Delivery.objects.get()
    endpoint.failures = 1

    delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=10)
    assert delivery.last_status_code == 500

    assert delivery_send(delivery_id=delivery.pk).outcome == "succeeded"
    assert delivery_send(delivery_id=delivery.pk).outcome == "skipped"
    assert len(endpoint.requests) == 2


def test_an_endpoint_failing_n_times_in_a_row_is_disabled_and_its_owner_mailed(
    private_targets, endpoint, representative, customer, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    subscription, _secret = subscribe(representative, endpoint, events=["ticket.created"])
    factories.TicketFactory(requester=customer)
    factories.TicketFactory(requester=customer)
    endpoint.failures = 100

    outcomes = [deliver_pending(), deliver_pending()]

    assert outcomes == [["retry", "retry"], ["failed", "failed"]]
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.failure_count == 3
    assert "3 failed attempts in a row" in subscription.disabled_reason
    assert subscription.disabled_at is not None
    assert len(endpoint.requests) == 3  # the fourth found the endpoint disabled
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    (mail,) = Notification.objects.filter(event="webhook_disabled")
    assert mail.to_email == representative.email
    assert mail.essential
    assert mail.context["target_url"] == subscription.target_url

    factories.TicketFactory(requester=customer)
    assert Delivery.objects.count() == 2  # a disabled endpoint gets no new deliveries


def test_reactivating_clears_the_failures_and_a_failed_delivery_can_be_redelivered(
    private_targets, endpoint, representative, customer, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1
    subscription, _secret = subscribe(representative, endpoint, events=["ticket.created"])
    factories.TicketFactory(requester=customer)
    endpoint.failures = 1
    deliver_pending()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    subscription.refresh_from_db()
    with pytest.raises(Exception, match="disabled"):
        webhooks.delivery_redeliver(delivery=delivery)

    webhooks.subscription_update(subscription=subscription, is_active=True)
    webhooks.delivery_redeliver(delivery=Delivery.objects.get())

    assert deliver_pending() == ["succeeded"]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert list(delivery.log.values_list("number", "status_code")) == [(1, 500), (2, 204)]
    subscription.refresh_from_db()
    assert (subscription.failure_count, subscription.disabled_reason) == (0, "")


def test_an_unreachable_endpoint_is_a_logged_failure_with_a_short_timeout(
    private_targets, representative, customer, settings
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    webhooks.subscription_create(
        user=representative, target_url="http://127.0.0.1:1/hook", events=["ticket.created"]
    )
    factories.TicketFactory(requester=customer)

    assert deliver_pending() == ["retry"]

    attempt = Delivery.objects.get().log.get()
    assert attempt.status_code is None
    assert "Error" in attempt.error
    assert attempt.duration_ms < 2000


# --- SSRF ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost:8000/hook",  # a name that resolves to loopback
        "http://192.168.0.10/hook",
        "http://224.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_loopback_link_local_and_multicast_targets_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(TargetRefused) as refused:
        target_resolve(url)
    assert refused.value.code == "private_target"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http://u:p@example.com/"])
def test_only_plain_http_and_https_targets_are_taken(url):
    with pytest.raises(TargetRefused):
        target_resolve(url)


def test_a_public_address_is_taken():
    assert target_resolve("https://93.184.216.34/hook")[3] == ["93.184.216.34"]


def test_a_target_that_became_private_is_refused_at_delivery_without_a_request(
    private_targets, endpoint, representative, customer, settings
):
    subscribe(representative, endpoint, events=["ticket.created"])
    factories.TicketFactory(requester=customer)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    assert deliver_pending() == ["retry"]

    assert endpoint.requests == []
    attempt = Delivery.objects.get().log.get()
    assert "private" in attempt.error


def test_subscribing_to_a_private_target_is_refused(representative, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(TargetRefused):
        webhooks.subscription_create(
            user=representative, target_url="http://127.0.0.1:9/x", events=["ticket.created"]
        )
    assert not Subscription.objects.exists()


def test_an_sla_sweep_without_a_subscriber_builds_no_payload(
    private_targets, endpoint, representative, customer, django_assert_num_queries
):
    from tickets import webhook_events

    subscribe(representative, endpoint, events=["ticket.created"])  # not to SLA events
    for _ in range(3):
        factories.TicketFactory(requester=customer)
    tickets = list(Ticket.objects.all())  # no organisation loaded: a payload would read it
    with django_assert_num_queries(1):  # whether anyone subscribed; nothing else
        webhook_events.webhook_sla(tickets=tickets, breached=True, clock="resolution")
    assert not Delivery.objects.filter(event_type="ticket.sla_breached").exists()
