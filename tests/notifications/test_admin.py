"""The outbox, the suppression list and the mute switch in the staff admin."""

import smtplib

import pytest
from django.urls import reverse

from notifications import delivery
from notifications import services as mail
from notifications.models import Event, Notification, NotificationStatus, SuppressedAddress
from tests import factories
from tests.notifications.test_delivery import FlakyBackend

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(customer, agent, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.FlakyBackend"
    FlakyBackend.errors = [smtplib.SMTPDataError(554, b"5.7.1 rejected by policy")]
    factories.TicketFactory(requester=customer)
    row = Notification.objects.get(event=Event.TICKET_FILED)
    delivery.notification_send(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == NotificationStatus.FAILED
    return row


def test_staff_see_failed_mails_with_their_error(client, agent, failed):
    client.force_login(agent)
    page = client.get(reverse("admin:notifications_notification_changelist") + "?status=failed")
    assert page.status_code == 200
    text = page.content.decode()
    assert failed.to_email in text and "5.7.1 rejected by policy" in text
    detail = client.get(reverse("admin:notifications_notification_change", args=[failed.pk]))
    assert detail.status_code == 200 and failed.message_id.strip("<>") in detail.content.decode()


def test_nobody_adds_an_outbox_row_by_hand(client, manager):
    client.force_login(manager)
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403


def test_customers_do_not_enter_the_outbox(client, customer, failed):
    client.force_login(customer)
    page = client.get(reverse("admin:notifications_notification_changelist"))
    assert page.status_code in (302, 403)


def test_the_resend_action_queues_a_failed_mail_again(
    client, agent, failed, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("notifications.tasks.enqueue_send", lambda pk, **kw: queued.append(pk))
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "resend", "_selected_action": [failed.pk]},
            follow=True,
        )
    assert response.status_code == 200 and "1 mail queued again" in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, queued) == (NotificationStatus.PENDING, 0, [failed.pk])


def test_staff_clear_a_suppressed_address(client, agent, customer):
    address = mail.suppression_add(
        email=customer.email, reason="hard_bounce", detail="550 no such user"
    )
    client.force_login(agent)
    page = client.get(reverse("admin:notifications_suppressedaddress_changelist"))
    assert customer.email in page.content.decode()
    client.post(
        reverse("admin:notifications_suppressedaddress_changelist"),
        {"action": "clear", "_selected_action": [address.pk]},
    )
    address.refresh_from_db()
    assert address.cleared_by == agent and not SuppressedAddress.objects.active().exists()


def test_the_user_page_shows_the_mute_switch(client, manager, customer):
    client.force_login(manager)
    page = client.get(reverse("admin:accounts_user_change", args=[customer.pk]))
    assert page.status_code == 200
    assert "mute_non_essential" in page.content.decode()
