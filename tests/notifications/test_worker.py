"""Delivery end to end: a real Celery worker on the real Redis sends into a real SMTP
server (aiosmtpd) started by the test. Rows are committed (transactional tests) so the
worker, a separate process, sees them."""

import pytest
from django.db import transaction

from notifications.api import notify_address
from notifications.models import Event, Notification, NotificationStatus
from notifications.tasks import relay_notifications, send_notification
from tests import factories
from tests.notifications.conftest import broker, wait_for
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def statuses() -> list[str]:
    return sorted(Notification.objects.values_list("status", flat=True))


def settle(sink, worker, expected: int, *, quiet: float = 1.5):
    """Wait for `expected` mails, then make sure no more come."""
    import time

    wait_for(lambda: len(sink.messages) >= expected, worker=worker)
    time.sleep(quiet)
    return sink.parsed()


def test_a_filed_tickets_mails_arrive_once(on_worker, smtp_sink, customer, agent):
    ticket = factories.TicketFactory(requester=customer)

    messages = settle(smtp_sink, on_worker, 2)
    assert len(messages) == 2
    by_to = {m["To"]: m for m in messages}
    assert set(by_to) == {customer.email, agent.email}
    assert by_to[customer.email]["Subject"].startswith(f"[{ticket.number}]")
    rows = {n.to_email: n for n in Notification.objects.all()}
    assert {n.status for n in rows.values()} == {NotificationStatus.SENT}
    for address, message in by_to.items():
        assert message["Message-ID"].strip() == rows[address].message_id
        assert message["Auto-Submitted"] == "auto-generated"


def test_filing_while_redis_is_down_saves_the_ticket_and_the_relay_delivers_once(
    on_worker, smtp_sink, customer, agent
):
    with broker("redis://127.0.0.1:1/0"):
        ticket = factories.TicketFactory(requester=customer)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert statuses() == [NotificationStatus.PENDING] * 2
    assert smtp_sink.messages == []

    relay_notifications.apply_async(queue=on_worker.queue)  # what beat does every minute

    messages = settle(smtp_sink, on_worker, 2)
    assert sorted(m["To"] for m in messages) == sorted([customer.email, agent.email])
    assert statuses() == [NotificationStatus.SENT] * 2

    relay_notifications.apply_async(queue=on_worker.queue)
    assert len(settle(smtp_sink, on_worker, 2)) == 2  # nothing sent twice


def invitation(email: str):
    """A mail about no ticket (an invitation to a new colleague), written as accounts does."""
    return notify_address(
        event="account_invitation", email=email, context={"full_name": "Someone", "days": 7}
    )


def test_a_task_run_twice_sends_once(on_worker, smtp_sink, customer):
    with transaction.atomic():
        row = invitation("someone@example.org")
    wait_for(lambda: len(smtp_sink.messages) >= 1, worker=on_worker)
    for _ in range(2):
        send_notification.apply_async((row.pk,), queue=on_worker.queue)

    assert len(settle(smtp_sink, on_worker, 1, quiet=2.5)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 1)


def test_a_provider_error_is_retried_then_succeeds(on_worker, smtp_sink, customer):
    smtp_sink.fail_next = 1  # 451 first, then 250
    with transaction.atomic():
        row = invitation("someone@example.org")

    messages = settle(smtp_sink, on_worker, 1)
    assert len(messages) == 1 and smtp_sink.refused == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 2)
    assert "Retry in" in on_worker.output() and "451" in on_worker.output()


def test_an_urgent_ticket_alerts_at_once_and_the_reply_threads(
    on_worker, smtp_sink, customer, agent
):
    from tickets import services

    ticket = factories.TicketFactory(requester=customer, priority=1)
    settle(smtp_sink, on_worker, 2, quiet=0.2)
    services.comment_add(ticket=ticket, author=agent, body="On it.")
    messages = settle(smtp_sink, on_worker, 3)
    alert = next(m for m in messages if m["To"] == agent.email)
    assert alert["Importance"] == "high" and alert["Subject"].startswith("[URGENT]")
    confirmation, comment = [m for m in messages if m["To"] == customer.email]
    assert comment["In-Reply-To"].strip() == confirmation["Message-ID"].strip()
    assert Notification.objects.get(event=Event.COMMENT).status == NotificationStatus.SENT
