"""Each mail is acted on once; oversize and malformed mail is rejected, never a crash."""

import datetime
import hashlib

import pytest
from django.utils import timezone

from mailin import acting, services
from mailin.models import InboundMessage, Reason, Status
from tests.inbound.conftest import render
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db


def emailed_tickets():
    return Ticket.objects.filter(channel=Channel.EMAIL)


def test_the_same_message_id_is_processed_once(receive):
    first = receive("new_ticket_plain.eml")
    again = receive("new_ticket_plain.eml")

    assert emailed_tickets().count() == 1
    assert InboundMessage.objects.count() == 1
    assert again.pk == first.pk
    assert first.message_id == "3f1c2a90-new-plain@customer.example"


def test_the_same_mail_by_another_way_with_other_trace_headers_is_the_same_mail(values):
    raw = render("new_ticket_plain.eml", **values)
    # The mailbox's copy: the last server added its trace headers and CRLF line ends.
    mailbox_copy = (
        b"Delivered-To: support@helpdesk.localhost\n"
        b"Received: from mx.helpdesk.localhost by imap.helpdesk.localhost; "
        b"Mon, 23 Nov 2026 09:12:45 +0300\n" + raw
    ).replace(b"\n", b"\r\n")

    first = services.inbound_receive(raw=raw, source="webhook")
    copy = services.inbound_receive(raw=mailbox_copy, source="imap")

    assert copy.pk == first.pk
    assert InboundMessage.objects.count() == 1
    assert emailed_tickets().count() == 1


def test_a_different_mail_reusing_a_message_id_is_kept_for_review_with_its_bytes(
    receive, values
):
    first = receive("new_ticket_plain.eml")

    other = receive("duplicate_message_id.eml")

    assert other.pk != first.pk
    assert other.message_id == first.message_id
    assert (other.status, other.reason) == (Status.HELD, Reason.MESSAGE_ID_REUSED)
    assert f"Mail #{first.pk}" in other.detail
    assert other.raw.read() == render("duplicate_message_id.eml", **values)
    assert other.subject == "The same mail, delivered again by the mailbox"
    assert "This copy must not open a second ticket." in other.text
    assert emailed_tickets().count() == 1
    assert receive("duplicate_message_id.eml").pk == other.pk  # and it, too, is kept once


def test_staff_may_act_on_a_mail_that_reused_a_message_id(receive, manager):
    receive("new_ticket_plain.eml")
    other = receive("duplicate_message_id.eml")

    other = services.inbound_retry(inbound=other, actor=manager)

    assert other.status == Status.TICKET
    assert emailed_tickets().count() == 2


def test_a_mail_without_message_id_is_keyed_by_the_hash_of_its_bytes(receive, values):
    inbound = receive("no_message_id.eml")
    receive("no_message_id.eml")

    raw = render("no_message_id.eml", **values)
    assert inbound.message_id == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert inbound.status == Status.TICKET
    assert emailed_tickets().count() == 1


def test_the_raw_message_is_kept_byte_for_byte(receive, values):
    inbound = receive("koi8r.eml")

    assert inbound.raw.read() == render("koi8r.eml", **values)
    assert inbound.size == len(render("koi8r.eml", **values))


def test_an_oversize_mail_is_rejected_and_only_its_headers_kept(receive, settings, caplog):
    settings.INBOUND_MAX_BYTES = 8 * 1024

    inbound = receive("oversize.eml")

    assert (inbound.status, inbound.reason) == (Status.REJECTED, Reason.OVERSIZE)
    assert "the limit is 8192" in inbound.detail
    assert inbound.subject == "The whole database dump"
    kept = inbound.raw.read()
    assert kept.startswith(b"Message-ID: <oversize-1@customer.example>")
    assert b"dump.bin" not in kept
    assert not emailed_tickets().exists()
    assert "oversize" in caplog.text


@pytest.mark.parametrize(
    ("fixture", "why"),
    [
        ("malformed_no_from.eml", "No From header"),
        ("malformed_garbage.eml", "not an e-mail message"),
        ("malformed_no_boundary.eml", "without a boundary"),
    ],
)
def test_malformed_mail_is_rejected_with_the_reason(receive, fixture, why, caplog):
    inbound = receive(fixture)

    assert (inbound.status, inbound.reason) == (Status.REJECTED, Reason.MALFORMED)
    assert why in inbound.detail
    assert not emailed_tickets().exists()
    assert "malformed" in caplog.text


def test_a_failure_while_acting_is_recorded_and_can_be_retried(receive, monkeypatch, manager):
    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(acting, "ticket_file", broken)
    inbound = receive("new_ticket_plain.eml")

    assert (inbound.status, inbound.reason) == (Status.FAILED, Reason.ERROR)
    assert "database hiccup" in inbound.detail
    assert not emailed_tickets().exists()

    monkeypatch.undo()
    inbound = services.inbound_retry(inbound=inbound, actor=manager)

    assert inbound.status == Status.TICKET
    assert emailed_tickets().count() == 1


def test_a_mail_stored_by_an_interrupted_run_is_processed_by_the_next(values, time_machine):
    inbound, created = services.inbound_store(
        raw=render("new_ticket_plain.eml", **values), source="file"
    )
    assert created and inbound.status == Status.RECEIVED
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=15))

    assert services.inbound_resume_stuck() == 1

    inbound.refresh_from_db()
    assert inbound.status == Status.TICKET


def test_nul_bytes_in_headers_and_body_do_not_stop_the_mail(receive):
    inbound = receive("nul_bytes.eml")

    assert inbound.status == Status.TICKET
    assert inbound.ticket.subject == "Export fails"
    assert "The export fails with a NUL in the middle." in inbound.ticket.body
