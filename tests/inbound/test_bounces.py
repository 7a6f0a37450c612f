"""Bounces that arrive as mail (issue 9): a delivery status notification (RFC 3464) with
a permanent status for one of our mails suppresses that address, as the tracking webhook
does; a temporary status does not, and a report that names none of our mails to that
address (a forgery) silences nobody."""

import pytest

from mailin.models import Reason, Status
from notifications.models import NotificationStatus, SuppressedAddress, SuppressionKind
from notifications.models import SuppressionReason as MailSuppression
from tickets.models import Comment
from tickets.services import comment_add

pytestmark = pytest.mark.django_db


def suppressed(address: str):
    return SuppressedAddress.objects.active().filter(email=address.lower())


@pytest.mark.parametrize(
    ("fixture", "status"),
    [("dsn_permanent_postfix.eml", "5.1.1"), ("dsn_permanent_exchange.eml", "5.1.10")],
)
def test_a_permanent_failure_of_our_mail_suppresses_the_address(
    receive, customer, notification_id, fixture, status
):
    inbound = receive(fixture, recipient=customer.email, returned_message_id=notification_id)

    assert (inbound.status, inbound.reason) == (Status.SUPPRESSED, Reason.BOUNCE)
    assert "failed permanently" in inbound.detail
    [address] = suppressed(customer.email)
    assert (address.reason, address.esp_name) == (SuppressionKind.HARD_BOUNCE, "dsn")
    assert address.detail.startswith(status)


def test_after_a_hard_bounce_by_mail_no_more_mail_goes_to_the_address(
    receive, ticket, customer, agent, notification_id
):
    receive("dsn_permanent_postfix.eml", recipient=customer.email,
            returned_message_id=notification_id)

    comment = comment_add(ticket=ticket, author=agent, body="Please try again now.")

    mail = comment.ticket.notifications.get(to_email=customer.email, context__comment_id=comment.pk)
    assert (mail.status, mail.suppressed_reason) == (
        NotificationStatus.SUPPRESSED, MailSuppression.ADDRESS,
    )


def test_a_temporary_failure_suppresses_nothing(receive, customer, notification_id):
    inbound = receive(
        "dsn_delayed_exchange.eml", recipient=customer.email, returned_message_id=notification_id
    )

    assert (inbound.status, inbound.reason) == (Status.SUPPRESSED, Reason.BOUNCE)
    assert "delayed (4.4.7): not suppressed" in inbound.detail
    assert not suppressed(customer.email).exists()


def test_a_forged_report_naming_none_of_our_mails_silences_nobody(receive, customer, ticket):
    inbound = receive(
        "dsn_permanent_postfix.eml", recipient=customer.email,
        returned_message_id="<0123456789abcdef01234567.HD-2026-00001@helpdesk.localhost>",
    )

    assert (inbound.status, inbound.reason) == (Status.SUPPRESSED, Reason.BOUNCE)
    assert "names none of our mails to that address: not suppressed" in inbound.detail
    assert not suppressed(customer.email).exists()
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_report_naming_our_mail_to_someone_else_silences_nobody(
    receive, customer, outsider, notification_id
):
    # Our real Message-ID (to the customer), but the failure is claimed for the outsider.
    inbound = receive(
        "dsn_permanent_postfix.eml", recipient=outsider.email, returned_message_id=notification_id
    )

    assert "not suppressed" in inbound.detail
    assert not SuppressedAddress.objects.exists()
