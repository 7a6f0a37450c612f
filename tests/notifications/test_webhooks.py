"""anymail's tracking webhook (Postmark's payloads): behind the secret, a hard bounce or a
complaint suppresses the address; a soft bounce does not."""

import base64
import json

import pytest
from django.urls import reverse

from notifications.models import Event, Notification, NotificationStatus, SuppressedAddress
from tests import factories

pytestmark = pytest.mark.django_db

SECRET = "postmark:s3cret-webhook-pass"


def postmark_bounce(email: str, type_: str = "HardBounce") -> dict:
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": type_,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "support@helpdesk.example.com",
        "BouncedAt": "2026-11-20T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "[HD-2026-00001] Ticket received",
        "Content": "",
    }


def postmark_complaint(email: str) -> dict:
    return {**postmark_bounce(email, "SpamComplaint"), "RecordType": "SpamComplaint"}


def post(client, payload, auth: str | None = SECRET):
    headers = {}
    if auth is not None:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return client.post(
        reverse("anymail_tracking:postmark_tracking_webhook"),
        data=json.dumps(payload),
        content_type="application/json",
        **headers,
    )


@pytest.fixture
def secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


def test_the_tracking_webhook_lives_under_mail():
    assert (
        reverse("anymail_tracking:postmark_tracking_webhook") == "/mail/anymail/postmark/tracking/"
    )


def test_every_esp_tracking_webhook_of_anymail_is_mounted_behind_the_secret(client):
    """The routes are read from anymail's urls.py (importing it would load every ESP's
    module, boto3 included): they must stay exactly anymail's, each CSRF-exempt and
    behind the secret check, however anymail writes that file in a later release."""
    from anymail import urls as anymail_urls

    from notifications.webhooks import tracking_patterns

    ours = tracking_patterns()
    theirs = [p for p in anymail_urls.urlpatterns if p.name.endswith("_tracking_webhook")]
    assert [(str(p.pattern), p.name) for p in ours] == [
        (str(p.pattern), p.name) for p in theirs
    ]
    assert all(getattr(p.callback, "csrf_exempt", False) for p in ours)
    for p in ours:  # no secret configured: every ESP's webhook refuses
        url = reverse(f"anymail_tracking:{p.name}")
        assert client.post(url, data="{}", content_type="application/json").status_code == 403


def test_a_hard_bounce_with_the_secret_suppresses_the_address(client, secret, customer, agent):
    response = post(client, postmark_bounce(customer.email.upper()))
    assert response.status_code == 200
    address = SuppressedAddress.objects.get()
    assert (address.email, address.reason, address.esp_name) == (
        customer.email,
        "hard_bounce",
        "Postmark",
    )
    assert "5.1.1" in address.detail

    factories.TicketFactory(requester=customer)
    confirmation = Notification.objects.get(event=Event.TICKET_FILED)
    assert confirmation.status == NotificationStatus.SUPPRESSED


def test_a_spam_complaint_suppresses_the_address(client, secret, customer):
    assert post(client, postmark_complaint(customer.email)).status_code == 200
    assert SuppressedAddress.objects.get().reason == "complaint"


def test_a_soft_bounce_does_not_suppress(client, secret, customer):
    assert post(client, postmark_bounce(customer.email, "SoftBounce")).status_code == 200
    assert not SuppressedAddress.objects.exists()


def test_a_delivery_event_changes_nothing(client, secret, customer):
    payload = {
        "RecordType": "Delivery",
        "MessageID": "x",
        "Recipient": customer.email,
        "DeliveredAt": "2026-11-20T16:33:54Z",
        "Details": "250 OK",
        "Metadata": {},
    }
    assert post(client, payload).status_code == 200
    assert not SuppressedAddress.objects.exists()


def test_a_post_without_the_secret_is_refused(client, secret, customer):
    assert post(client, postmark_bounce(customer.email), auth=None).status_code == 400
    assert post(client, postmark_bounce(customer.email), auth="postmark:wrong").status_code == 400
    assert not SuppressedAddress.objects.exists()


def test_the_webhook_is_closed_while_no_secret_is_configured(client, customer):
    assert post(client, postmark_bounce(customer.email), auth=None).status_code == 403
    assert post(client, postmark_bounce(customer.email)).status_code == 403
    assert not SuppressedAddress.objects.exists()


def test_a_second_bounce_after_clearing_suppresses_again(client, secret, customer, manager):
    from notifications import services

    post(client, postmark_bounce(customer.email))
    services.suppression_clear(address=SuppressedAddress.objects.get(), by=manager)
    assert not SuppressedAddress.objects.active().exists()
    post(client, postmark_bounce(customer.email))
    address = SuppressedAddress.objects.get()
    assert address.is_active and address.cleared_by is None
