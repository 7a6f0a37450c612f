"""Auto-replies, bounces and our own mail are kept for review and never answered."""

import datetime

import pytest
from django.utils import timezone

from mailin.models import Reason, Status
from mailin.services import inbound_receive, inbound_retry
from notifications.models import Event, Notification
from notifications.rendering import build_message
from tests.helpers import drive_to
from tests.inbound.conftest import first_mail_to, render
from tickets.models import Channel, Comment, Ticket
from tickets.models import Status as TicketStatus

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
        ("x_loop_ours.eml", Reason.LOOP),
        ("own_message_id.eml", Reason.LOOP),
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


def test_our_own_mail_forwarded_back_by_the_customers_server_opens_nothing(receive, settings):
    # A forwarding rule resends our confirmation: our Message-ID, the customer as sender.
    inbound = receive("own_message_id.eml")

    assert (inbound.status, inbound.reason) == (Status.SUPPRESSED, Reason.LOOP)
    assert settings.MAIL_MESSAGE_ID_DOMAIN in inbound.message_id
    assert not Ticket.objects.filter(channel=Channel.EMAIL).exists()


# --- X-Auto-Response-Suppress: a person's mail that asks for no automatic answer -------


def mails_to(address: str):
    return Notification.objects.filter(to_email__iexact=address)


def test_a_new_mail_asking_for_no_automatic_answer_opens_no_ticket_and_gets_no_answer(
    receive, values, customer
):
    before = mails_to(customer.email).count()

    inbound = receive("x_auto_response_suppress.eml", to=values["support"], subject="Tax export")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.NO_AUTO_RESPONSE)
    assert inbound.sender == customer
    assert not Ticket.objects.filter(channel=Channel.EMAIL).exists()
    assert mails_to(customer.email).count() == before


def test_staff_may_file_a_mail_that_asked_for_no_automatic_answer(
    receive, values, customer, manager
):
    inbound = receive("x_auto_response_suppress.eml", to=values["support"], subject="Tax export")

    inbound = inbound_retry(inbound=inbound, actor=manager)

    assert inbound.status == Status.TICKET
    assert inbound.ticket.requester == customer


def test_a_reply_asking_for_no_automatic_answer_is_posted_and_nothing_goes_back(
    receive, values, ticket, customer
):
    before = mails_to(customer.email).count()

    inbound = receive(
        "x_auto_response_suppress.eml", to=values["reply_address"],
        subject=f"RE: [{ticket.number}] Report export fails",
    )

    assert inbound.status == Status.COMMENT
    assert Comment.objects.get(ticket=ticket).body.startswith("The nightly export")
    assert mails_to(customer.email).count() == before


def test_a_late_reply_asking_for_no_automatic_answer_is_refused_without_a_mail(
    receive, values, ticket, agent, customer, time_machine
):
    drive_to(ticket, TicketStatus.CLOSED, agent=agent, customer=customer)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=11))

    inbound = receive(
        "x_auto_response_suppress.eml", to=values["reply_address"],
        subject=f"RE: [{ticket.number}] Report export fails",
    )

    assert (inbound.status, inbound.reason) == (Status.REFUSED, Reason.REFUSED)
    assert "No mail was sent" in inbound.detail
    assert not mails_to(customer.email).filter(event=Event.REOPEN_REFUSED).exists()


def test_our_own_notification_forwarded_back_under_the_customers_address_opens_nothing(
    ticket, customer
):
    # A forwarding rule at the customer resends our mail with their address as sender:
    # our marks (X-Loop, our Message-ID) still say it is ours.
    ours = build_message(first_mail_to(customer, ticket)).message()
    del ours["From"]
    ours["From"] = customer.email

    inbound = inbound_receive(raw=ours.as_bytes(), source="file")

    assert (inbound.status, inbound.reason) == (Status.SUPPRESSED, Reason.LOOP)
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not Ticket.objects.filter(channel=Channel.EMAIL).exists()


def test_our_outgoing_mail_carries_the_x_loop_mail_in_recognises(ticket, customer, settings):
    ours = build_message(first_mail_to(customer, ticket)).message()

    assert settings.SUPPORT_EMAIL in ours["X-Loop"]
