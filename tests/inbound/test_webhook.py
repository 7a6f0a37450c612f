"""The provider's inbound webhook (Mailgun through anymail), secured by the webhook secret."""

import base64
import hashlib
import hmac
import time

import pytest

from mailin.models import InboundMessage, Source, Status
from tests.inbound.conftest import render
from tickets.models import Channel, Comment, Ticket

pytestmark = pytest.mark.django_db

URL = "/mail/in/mailgun/inbound_mime/"
SECRET = "mailgun-hook:s3cret-Passw0rd"
SIGNING_KEY = "key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _anymail(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def mailgun_form(raw: bytes, *, key: str = SIGNING_KEY, sender=None, recipient=None) -> dict:
    timestamp, token = str(int(time.time())), "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    form = {"body-mime": raw.decode("utf-8"), "timestamp": timestamp, "token": token}
    form["signature"] = signature
    envelope = {"sender": sender, "recipient": recipient}
    return form | {field: value for field, value in envelope.items() if value is not None}


def basic_auth(credentials: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def test_a_mail_posted_with_the_secret_opens_a_ticket(client, values, customer, settings):
    raw = render("new_ticket_attachments.eml", **values)

    response = client.post(
        URL, mailgun_form(raw, sender=customer.email, recipient=settings.SUPPORT_EMAIL),
        **basic_auth(),
    )

    assert response.status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.source, inbound.status) == (Source.WEBHOOK, Status.TICKET)
    assert inbound.raw.read() == raw
    ticket = Ticket.objects.get(channel=Channel.EMAIL)
    assert ticket.requester == customer
    assert ticket.attachments.count() == 2


def test_a_reply_posted_by_the_webhook_becomes_a_comment(client, values, ticket):
    raw = render("reply_russian_pishet.eml", **values)

    response = client.post(URL, mailgun_form(raw), **basic_auth())

    assert response.status_code == 200
    assert Comment.objects.get(ticket=ticket).body == "Используем Chrome 131, Windows 10."


def test_the_same_mail_posted_twice_is_processed_once(client, values):
    raw = render("new_ticket_plain.eml", **values)

    for _ in range(2):
        assert client.post(URL, mailgun_form(raw), **basic_auth()).status_code == 200

    assert Ticket.objects.filter(channel=Channel.EMAIL).count() == 1
    assert InboundMessage.objects.count() == 1


def test_an_empty_envelope_sender_marks_a_bounce(client, values):
    raw = render("unknown_sender.eml", **values)

    client.post(URL, mailgun_form(raw, sender="<>"), **basic_auth())

    assert InboundMessage.objects.get().reason == "bounce"


@pytest.mark.parametrize(
    "auth",
    [{}, basic_auth("mailgun-hook:wrong"), basic_auth("someone:" + SECRET.split(":")[1])],
    ids=["no secret", "wrong password", "wrong user"],
)
def test_a_post_without_the_secret_is_refused_and_nothing_stored(client, values, auth):
    raw = render("new_ticket_plain.eml", **values)

    response = client.post(URL, mailgun_form(raw), **auth)

    assert response.status_code == 400
    assert not InboundMessage.objects.exists()
    assert not Ticket.objects.filter(channel=Channel.EMAIL).exists()


def test_a_post_with_the_secret_but_a_forged_signature_is_refused(client, values):
    raw = render("new_ticket_plain.eml", **values)

    response = client.post(URL, mailgun_form(raw, key="key-not-ours"), **basic_auth())

    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_the_webhook_is_closed_while_no_secret_is_configured(client, values, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    raw = render("new_ticket_plain.eml", **values)

    response = client.post(URL, mailgun_form(raw))

    assert response.status_code == 403  # not configured: refused, with the reason
    assert not InboundMessage.objects.exists()


def test_a_malformed_mail_by_webhook_is_stored_rejected_and_acknowledged(client, values):
    raw = render("malformed_no_from.eml", **values)

    response = client.post(URL, mailgun_form(raw), **basic_auth())

    # 200: the provider must not retry a mail we have kept and judged.
    assert response.status_code == 200
    assert InboundMessage.objects.get().status == Status.REJECTED
