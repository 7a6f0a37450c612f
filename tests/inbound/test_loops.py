"""Auto-replies, bounces and our own mail are kept for review and never answered."""

import pytest

from mailin.models import Reason, Status
from mailin.services import inbound_receive
from notifications.models import Notification
from tests.inbound.conftest import render
from tickets.models import Channel, Comment, Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("auto_submitted.eml", Reason.AUTO_REPLY),
        ("x_autoreply.eml", Reason.AUTO_REPLY),
        ("x_autorespond.eml", Reason.AUTO_REPLY),
        ("precedence_bulk.eml", Reason.BULK),
        ("precedence_junk.eml", Reason.BULK),
        ("precedence_list.eml", Reason.BULK),
        ("list_id.eml", Reason.BULK),
        ("bounce_empty_return_path.eml", Reason.BOUNCE),
        ("bounce_mailer_daemon.eml", Reason.BOUNCE),
        ("bounce_postmaster.eml", Reason.BOUNCE),
        ("bounce_multipart_report.eml", Reason.BOUNCE),
        ("own_address.eml", Reason.OWN_ADDRESS),
    ],
)
def test_automatic_mail_is_kept_and_creates_no_ticket_comment_or_reply(
    receive, ticket, fixture, reason
):
    # The auto-replies come from the customer to the ticket's valid reply address:
    # only their headers keep them from becoming a comment.
    mails_before = Notification.objects.count()

    inbound = receive(fixture)

    assert (inbound.status, inbound.reason) == (Status.SUPPRESSED, reason)
    assert inbound.raw.read()  # the raw mail is kept for review
    assert not Ticket.objects.filter(channel=Channel.EMAIL).exists()
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert Notification.objects.count() == mails_before


def test_auto_submitted_no_is_a_person_writing(values):
    raw = render("new_ticket_plain.eml", **values).replace(
        b"MIME-Version: 1.0\n", b"MIME-Version: 1.0\nAuto-Submitted: no\n", 1
    )
    inbound = inbound_receive(raw=raw, source="file")

    assert inbound.status == Status.TICKET


def test_a_tagged_reply_address_as_sender_is_our_own_mail(receive, values):
    inbound = receive("own_address.eml", support=values["reply_address"])

    assert (inbound.status, inbound.reason) == (Status.SUPPRESSED, Reason.OWN_ADDRESS)
