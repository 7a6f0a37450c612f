"""Delivery without a worker: the claim, retries, failures, the relay and the resend.

The services are called directly; the real worker runs in test_worker.py.
"""

import datetime
import smtplib
import time

import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError, AnymailRequestsAPIError
from django.core import mail as outbox
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications import delivery
from notifications import services as mail
from notifications.models import Event, Notification, NotificationStatus, SuppressionKind
from tests import factories
from tests.notifications.conftest import broker
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


class FlakyBackend(LocmemBackend):
    """Raises the queued errors first, then delivers into django.core.mail.outbox."""

    errors: list[Exception] = []

    def send_messages(self, messages):
        if FlakyBackend.errors:
            raise FlakyBackend.errors.pop(0)
        return super().send_messages(messages)


class EspBackend(AnymailTestBackend):
    def get_esp_message_id(self, message):
        return f"esp-{outbox.outbox.index(message)}"


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.FlakyBackend"
    FlakyBackend.errors = []
    yield FlakyBackend.errors
    FlakyBackend.errors = []


@pytest.fixture
def confirmation(customer):
    factories.TicketFactory(requester=customer)
    return Notification.objects.get(event=Event.TICKET_FILED)


def reload(row):
    row.refresh_from_db()
    return row


# --- after commit ------------------------------------------------------------------


def test_rows_are_queued_after_commit_not_before(
    customer, agent, monkeypatch, django_capture_on_commit_callbacks
):
    queued, publishes = [], []

    def publish(pks):
        publishes.append(pks)
        queued.extend(pks)

    monkeypatch.setattr("notifications.tasks.enqueue_send", lambda pk, **kw: publish([pk]))
    monkeypatch.setattr("notifications.tasks.enqueue_batch", publish)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        factories.TicketFactory(requester=customer)
        factories.TicketFactory(requester=customer, actor=agent)
        assert queued == []  # nothing is queued inside the transaction
    assert len(callbacks) >= 1
    pending = Notification.objects.filter(status=NotificationStatus.PENDING)
    assert sorted(queued) == sorted(pending.values_list("pk", flat=True))
    assert len(publishes) <= 4  # one publish per event, however many rows it wrote


def test_filing_succeeds_quickly_while_the_broker_is_down(
    customer, agent, django_capture_on_commit_callbacks, caplog
):
    started = time.monotonic()
    with broker("redis://127.0.0.1:1/0"), django_capture_on_commit_callbacks(execute=True):
        ticket = factories.TicketFactory(requester=customer)
    # Not a speed target (benchmarks/mail_bench.py measures that): a publish that
    # retried or waited for the broker would take the whole connection timeout, 10 s+.
    assert time.monotonic() - started < 10
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert set(Notification.objects.values_list("status", flat=True)) == {
        NotificationStatus.PENDING
    }
    assert "the relay will send it" in caplog.text


def test_a_broker_that_is_down_is_tried_once_per_filing_not_once_per_row(
    customer, representative, agent, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    calls = []

    def down(ids, **kwargs):
        calls.append(ids)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("notifications.tasks.enqueue_send", down)
    monkeypatch.setattr("notifications.tasks.enqueue_batch", down)
    with django_capture_on_commit_callbacks(execute=True):
        factories.TicketFactory(requester=customer)
    # The confirmation and the alert are written together: one publish for both.
    pending = Notification.objects.filter(status=NotificationStatus.PENDING)
    assert calls == [sorted(pending.values_list("pk", flat=True))]
    assert pending.count() == 2
    assert Notification.objects.count() == 3  # requester, representative (daily), agent
    assert "the relay will send it" in caplog.text


# --- sending once ------------------------------------------------------------------


def test_a_row_is_sent_once_even_when_its_task_runs_twice(confirmation):
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "sent"
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "skipped"
    assert len(outbox.outbox) == 1
    row = reload(confirmation)
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 1)
    assert row.sent_at is not None and row.subject.startswith("[HD-")


def test_a_row_in_sending_is_not_taken_by_a_second_worker(confirmation):
    Notification.objects.filter(pk=confirmation.pk).update(
        status=NotificationStatus.SENDING, claimed_at=timezone.now()
    )
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "skipped"
    assert outbox.outbox == []


def test_a_row_stuck_in_sending_is_reclaimed_after_the_timeout(confirmation, settings):
    stuck_since = timezone.now() - datetime.timedelta(
        seconds=settings.MAIL_SENDING_TIMEOUT_SECONDS + 1
    )
    Notification.objects.filter(pk=confirmation.pk).update(
        status=NotificationStatus.SENDING, claimed_at=stuck_since, attempts=1
    )
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "sent"
    assert reload(confirmation).attempts == 2


def test_a_late_worker_does_not_overwrite_the_outcome_of_the_one_that_reclaimed(confirmation):
    claimed = delivery._claim(confirmation.pk, timezone.now())
    Notification.objects.filter(pk=claimed.pk).update(
        claimed_at=timezone.now() + datetime.timedelta(seconds=1)
    )
    assert not delivery._finish(claimed, status=NotificationStatus.FAILED)
    assert reload(confirmation).status == NotificationStatus.SENDING


def test_the_providers_message_id_is_recorded(confirmation, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.EspBackend"
    delivery.notification_send(notification_id=confirmation.pk)
    assert reload(confirmation).provider_message_id == "esp-0"


def test_an_address_suppressed_after_the_event_gets_nothing(confirmation, customer):
    mail.suppression_add(email=customer.email, reason=SuppressionKind.HARD_BOUNCE)
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "suppressed"
    assert outbox.outbox == [] and reload(confirmation).status == NotificationStatus.SUPPRESSED


# --- failures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPDataError(451, b"4.3.0 Mailbox busy"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPRecipientsRefused({"x@example.com": (450, b"greylisted")}),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        AnymailAPIError("Service unavailable", status_code=503),
        AnymailAPIError("Too many requests", status_code=429),
        AnymailRequestsAPIError("Connection reset"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_transient_failure_is_retried_with_backoff(confirmation, flaky, settings, error):
    flaky.append(error)
    before = timezone.now()
    result = delivery.notification_send(notification_id=confirmation.pk)
    row = reload(confirmation)
    base = settings.MAIL_RETRY_BASE_SECONDS
    assert result.outcome == "retry" and base / 2 <= result.retry_in <= base
    assert (row.status, row.attempts, row.claimed_at) == (NotificationStatus.PENDING, 1, None)
    assert type(error).__name__ in row.last_error
    assert row.next_attempt_at >= before + datetime.timedelta(seconds=base / 2)

    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "sent"
    assert len(outbox.outbox) == 1 and reload(confirmation).attempts == 2


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPDataError(554, b"5.7.1 Rejected"),
        smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"No such user")}),
        AnymailAPIError("Unauthorized", status_code=401),
        ValueError("a bug"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_permanent_failure_fails_at_once(confirmation, flaky, error):
    flaky.append(error)
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "failed"
    row = reload(confirmation)
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "skipped"


def test_transient_failures_retry_for_the_lifetime_then_the_row_is_failed(
    confirmation, flaky, settings, time_machine
):
    settings.MAIL_RETRY_LIFETIME_HOURS = 48
    flaky.extend([smtplib.SMTPDataError(451, b"busy")] * 3)
    time_machine.move_to(confirmation.created_at + datetime.timedelta(hours=1), tick=False)
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "retry"
    time_machine.move_to(confirmation.created_at + datetime.timedelta(hours=47), tick=False)
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "retry"
    time_machine.move_to(confirmation.created_at + datetime.timedelta(hours=48), tick=False)
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "failed"
    row = reload(confirmation)
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 3)
    assert "451" in row.last_error and outbox.outbox == []


def test_a_refused_address_fails_at_once_and_is_suppressed(confirmation, flaky):
    from notifications.models import SuppressedAddress

    flaky.append(smtplib.SMTPRecipientsRefused({confirmation.to_email: (550, b"No such user")}))
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "failed"
    suppressed = SuppressedAddress.objects.active().get(email=confirmation.to_email)
    assert suppressed.reason == SuppressionKind.HARD_BOUNCE and "550" in suppressed.detail


def test_a_permanent_error_that_is_not_the_address_suppresses_nothing(confirmation, flaky):
    from notifications.models import SuppressedAddress

    flaky.append(smtplib.SMTPDataError(554, b"5.7.1 Rejected"))
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "failed"
    assert not SuppressedAddress.objects.exists()


def test_backoff_grows_exponentially_up_to_the_cap(settings):
    settings.MAIL_RETRY_BASE_SECONDS, settings.MAIL_RETRY_MAX_SECONDS = 10, 100
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = [delivery.backoff_seconds(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jitter


# --- the relay and the resend ------------------------------------------------------


def test_the_relay_queues_rows_whose_task_never_came_and_leaves_fresh_ones(
    customer, agent, monkeypatch, settings
):
    queued = []
    monkeypatch.setattr("notifications.tasks.enqueue_send", lambda pk, **kw: queued.append(pk))
    factories.TicketFactory(requester=customer)
    old = Notification.objects.get(event=Event.TICKET_FILED)
    Notification.objects.filter(pk=old.pk).update(
        next_attempt_at=timezone.now()
        - datetime.timedelta(seconds=settings.MAIL_RELAY_GRACE_SECONDS + 5)
    )
    assert delivery.notifications_relay() == 1
    assert queued == [old.pk]
    assert delivery.notifications_relay() == 0  # not again while its task waits in the queue


def test_the_relay_requeues_a_row_stuck_in_sending(confirmation, monkeypatch, settings):
    queued = []
    monkeypatch.setattr("notifications.tasks.enqueue_send", lambda pk, **kw: queued.append(pk))
    Notification.objects.filter(pk=confirmation.pk).update(
        status=NotificationStatus.SENDING,
        claimed_at=timezone.now()
        - datetime.timedelta(seconds=settings.MAIL_SENDING_TIMEOUT_SECONDS + 1),
    )
    assert delivery.notifications_relay() == 1 and queued == [confirmation.pk]


def test_a_failed_row_can_be_resent_and_a_sent_one_cannot(
    confirmation, flaky, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("notifications.tasks.enqueue_send", lambda pk, **kw: queued.append(pk))
    flaky.append(smtplib.SMTPDataError(554, b"rejected"))
    delivery.notification_send(notification_id=confirmation.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.notification_resend(notification=confirmation)
    row = reload(confirmation)
    assert (row.status, row.attempts, row.last_error, queued) == (
        NotificationStatus.PENDING,
        0,
        "",
        [row.pk],
    )

    delivery.notification_send(notification_id=row.pk)
    assert not delivery.notification_resend(notification=row)
    assert len(outbox.outbox) == 1


def test_the_managers_hear_once_of_mail_that_finally_failed(confirmation, flaky, manager):
    from accounts.mail_failures import mail_failures_report

    flaky.append(smtplib.SMTPDataError(554, b"5.7.1 Rejected"))
    delivery.notification_send(notification_id=confirmation.pk)
    assert mail_failures_report() == 1
    report = Notification.objects.get(event="mail_failed")
    assert (report.to_email, report.status, report.context["count"]) == (
        manager.email,
        NotificationStatus.PENDING,
        1,
    )
    assert report.context["items"][0]["to"] == confirmation.to_email
    assert mail_failures_report() == 0  # reported once

    # A report that fails in turn is not reported: no loop while the server is down.
    Notification.objects.filter(pk=report.pk).update(status=NotificationStatus.FAILED)
    assert mail_failures_report() == 0


def test_a_batch_published_once_is_fanned_out_to_one_task_per_mail(monkeypatch):
    from notifications import tasks

    queued = []
    monkeypatch.setattr("notifications.tasks.enqueue_send", lambda pk, **kw: queued.append(pk))
    tasks.send_batch.run([3, 1, 2])
    assert queued == [3, 1, 2]


def test_a_resent_mail_gets_a_whole_retry_lifetime_and_is_reported_again_if_it_fails(
    confirmation, flaky, manager, settings, time_machine, monkeypatch
):
    from accounts.mail_failures import mail_failures_report

    monkeypatch.setattr("notifications.tasks.enqueue_send", lambda pk, **kw: None)
    settings.MAIL_RETRY_LIFETIME_HOURS = 1
    time_machine.move_to(confirmation.created_at + datetime.timedelta(hours=2), tick=False)
    flaky.append(smtplib.SMTPDataError(451, b"busy"))
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "failed"
    assert mail_failures_report() == 1

    assert delivery.notification_resend(notification=reload(confirmation))
    flaky.append(smtplib.SMTPDataError(451, b"still busy"))
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "retry"
    time_machine.move_to(confirmation.created_at + datetime.timedelta(hours=3, minutes=1))
    flaky.append(smtplib.SMTPDataError(451, b"busy for good"))
    assert delivery.notification_send(notification_id=confirmation.pk).outcome == "failed"
    assert mail_failures_report() == 1  # the second failure is reported too
