"""Files chosen on a form that comes back with an error are kept, shown as "attached",
and attached when the form goes through; nobody else can use them; they expire."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from portal import pending
from portal.models import PendingUpload
from tests import factories, helpers
from tickets.models import Attachment, Priority, Status, Ticket, TicketType

pytestmark = pytest.mark.django_db


def _new_ticket(client, *, subject="Waybill printout is cut off", files=(), **extra):
    return client.post("/tickets/new/", {
        "type": TicketType.INCIDENT, "priority": Priority.HIGH, "subject": subject,
        "body": "The last column is missing on A4.", "files": list(files), **extra,
    })


def _pending_ids(page: str) -> list[str]:
    return re.findall(r'name="pending" value="(\d+)"', page)


def test_files_chosen_before_a_form_error_are_kept_and_attached_on_filing(client, customer):
    client.force_login(customer)

    refused = _new_ticket(client, subject="", files=[helpers.screenshot_upload("a.png"),
                                                     helpers.log_upload("b.log")])

    page = helpers.text(refused)
    assert refused.status_code in (200, 400) and not Ticket.objects.exists()
    assert "attached: a.png" in page and "attached: b.log" in page
    ids = _pending_ids(page)
    assert len(ids) == 2

    filed = _new_ticket(client, pending=ids)

    assert filed.status_code == 302
    ticket = Ticket.objects.get()
    assert sorted(a.original_name for a in ticket.attachments.all()) == ["a.png", "b.log"]
    assert not PendingUpload.objects.exists()


def test_a_kept_file_can_be_removed_before_sending(client, customer):
    client.force_login(customer)
    ids = _pending_ids(helpers.text(_new_ticket(
        client, subject="", files=[helpers.screenshot_upload("a.png"), helpers.log_upload("b.log")]
    )))

    _new_ticket(client, pending=ids, pending_remove=[ids[0]])

    assert [a.original_name for a in Ticket.objects.get().attachments.all()] == ["b.log"]
    assert not PendingUpload.objects.exists()


def test_nobody_else_can_attach_someone_elses_kept_file(client, customer):
    client.force_login(customer)
    ids = _pending_ids(helpers.text(_new_ticket(client, subject="",
                                                files=[helpers.log_upload("secret.log")])))
    other = factories.CustomerFactory(organisation=customer.organisation)
    client.force_login(other)

    page = helpers.text(_new_ticket(client, subject="", pending=ids))
    _new_ticket(client, pending=ids)

    assert "secret.log" not in page
    assert not Attachment.objects.filter(ticket__requester=other).exists()
    assert PendingUpload.objects.filter(user=customer).count() == 1


def test_a_refused_file_is_not_kept_but_the_others_are(client, customer, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(customer)

    page = helpers.text(_new_ticket(client, files=[
        helpers.upload("huge.log", b"x" * 4096, "text/plain"),
        helpers.upload("small.log", b"fine\n", "text/plain"),
    ]))

    assert "“huge.log” is 4.0\xa0KB" in page
    assert "attached: small.log" in page and "attached: huge.log" not in page


def test_a_comment_shown_again_keeps_its_file(client, customer, ticket):
    client.force_login(customer)
    page = helpers.text(client.post(f"/tickets/{ticket.number}/comment/", {
        "body": "", "expected_status": Status.NEW, "files": [helpers.log_upload("full.log")],
    }))
    ids = _pending_ids(page)
    assert "attached: full.log" in page and ids

    client.post(f"/tickets/{ticket.number}/comment/", {
        "body": "Here is the log.", "expected_status": Status.NEW, "pending": ids,
    })

    comment = ticket.comments.get()
    assert [a.original_name for a in comment.attachments.all()] == ["full.log"]


def test_kept_files_expire(client, customer, django_capture_on_commit_callbacks):
    client.force_login(customer)
    ids = _pending_ids(helpers.text(_new_ticket(client, subject="",
                                                files=[helpers.log_upload("old.log")])))
    stored = PendingUpload.objects.get()
    storage, name = stored.file.storage, stored.file.name

    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        _new_ticket(client, pending=ids)
        assert not Ticket.objects.get().attachments.exists()
        with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
            assert pending.forget_expired() == 1

    assert not PendingUpload.objects.exists() and not storage.exists(name)
