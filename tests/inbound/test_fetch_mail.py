"""`manage.py fetch_mail`: message files, an mbox, the IMAP mailbox; safe from cron."""

import imaplib
import io
import mailbox
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from mailin import sources
from mailin.models import InboundMessage, Reason, Source, Status
from mailin.services import inbound_receive
from tests.inbound.conftest import render
from tickets.models import Channel, Comment, Ticket

MAILDROP = {
    "new_ticket_plain.eml": Status.TICKET,
    "new_ticket_attachments.eml": Status.TICKET,
    "koi8r.eml": Status.TICKET,
    "reply_token.eml": Status.COMMENT,
    "unknown_sender.eml": Status.HELD,
    "auto_submitted.eml": Status.SUPPRESSED,
    "bounce_mailer_daemon.eml": Status.SUPPRESSED,
    "malformed_no_from.eml": Status.REJECTED,
}


def fetch_mail(*args) -> str:
    out = io.StringIO()
    call_command("fetch_mail", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def maildrop(tmp_path, values):
    """A directory of .eml files as a mail server's delivery agent leaves them."""
    folder = tmp_path / "maildrop"
    folder.mkdir()
    for name in MAILDROP:
        (folder / name).write_bytes(render(name, **values))
    (folder / "notes.txt").write_text("not a message")
    return folder


def statuses() -> dict:
    return dict(InboundMessage.objects.values_list("message_id", "status"))


@pytest.mark.django_db
def test_a_directory_of_message_files_is_read_once(maildrop, ticket):
    output = fetch_mail(str(maildrop))

    # Every file is read, whatever its name: notes.txt is no mail, and is kept as rejected.
    assert sorted(InboundMessage.objects.values_list("status", flat=True)) == sorted(
        [*MAILDROP.values(), Status.REJECTED]
    )
    assert set(InboundMessage.objects.values_list("source", flat=True)) == {Source.FILE}
    assert Ticket.objects.filter(channel=Channel.EMAIL).count() == 3
    assert Comment.objects.filter(ticket=ticket).count() == 1
    assert "Processed 9 message(s)" in output
    assert f"{maildrop / 'notes.txt'}: rejected malformed" in output

    again = fetch_mail(str(maildrop))

    assert "duplicate: 9" in again
    assert InboundMessage.objects.count() == 9
    assert Ticket.objects.filter(channel=Channel.EMAIL).count() == 3


@pytest.mark.django_db
def test_every_file_of_a_directory_is_read_and_each_one_skipped_is_named_with_why(
    tmp_path, values, ticket
):
    # A maildir's "new" folder: file names without an extension, plus what lies around.
    folder = tmp_path / "new"
    folder.mkdir()
    maildir_name = "1764140400.M318P2210.mx,S=1043"
    (folder / maildir_name).write_bytes(render("new_ticket_plain.eml", **values))
    (folder / "saved-from-outlook.txt").write_bytes(render("reply_token.eml", **values))
    (folder / "mail.msg").write_bytes(render("windows1251.eml", **values))
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "1764140401.M1P2.mx").write_bytes(b"")
    (folder / "cur").mkdir()

    output = fetch_mail(str(folder))

    assert "Processed 3 message(s)" in output
    assert sorted(InboundMessage.objects.values_list("status", flat=True)) == sorted(
        [Status.TICKET, Status.TICKET, Status.COMMENT]
    )
    assert f"{folder / '.DS_Store'}: skipped, a hidden file" in output
    assert f"{folder / '1764140401.M1P2.mx'}: skipped, empty" in output
    assert f"{folder / 'cur'}: skipped, a directory" in output
    assert "Skipped 3 file(s)" in output
    assert (folder / "1764140401.M1P2.mx").exists()  # left for the next run


@pytest.mark.django_db
def test_handled_files_are_moved_to_the_done_directory(maildrop, tmp_path):
    done = tmp_path / "done"

    fetch_mail(str(maildrop / "new_ticket_plain.eml"), "--done-dir", str(done))

    assert not (maildrop / "new_ticket_plain.eml").exists()
    assert (done / "new_ticket_plain.eml").exists()
    assert InboundMessage.objects.get().status == Status.TICKET


@pytest.mark.django_db
def test_an_mbox_is_read_message_by_message(tmp_path, values, ticket):
    path = tmp_path / "support.mbox"
    box = mailbox.mbox(path)
    for name in ("new_ticket_plain.eml", "reply_russian_outlook.eml", "x_autoreply.eml"):
        box.add(render(name, **values))
    box.flush()
    box.close()

    output = fetch_mail("--mbox", str(path))

    assert "Processed 3 message(s)" in output
    assert sorted(InboundMessage.objects.values_list("status", flat=True)) == sorted(
        [Status.TICKET, Status.COMMENT, Status.SUPPRESSED]
    )
    assert set(InboundMessage.objects.values_list("source", flat=True)) == {Source.MBOX}
    assert Comment.objects.get(ticket=ticket).body == "Да, после перезапуска всё работает."
    assert "duplicate: 3" in fetch_mail("--mbox", str(path))


@pytest.mark.django_db
def test_a_missing_source_is_a_clear_command_error(tmp_path):
    with pytest.raises(CommandError, match="neither a message file nor a directory"):
        fetch_mail(str(tmp_path / "nowhere"))
    with pytest.raises(CommandError, match="Name .eml files"):
        fetch_mail()


# --- IMAP ------------------------------------------------------------------------------


class FakeIMAP:
    """Speaks the part of imaplib's IMAP4_SSL that fetch_mail uses, from a dict."""

    mailbox: dict = {}
    logins: list = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def login(self, user, password):
        if password != "app-password":
            raise imaplib.IMAP4.error("[AUTHENTICATIONFAILED] Invalid credentials")
        self.logins.append((self.host, self.port, user))
        return "OK", [b"Logged in"]

    def select(self, name):
        return "OK", [str(len(self.mailbox)).encode()]

    def uid(self, command, *args):
        if command == "SEARCH":
            unseen = [uid for uid, (_, flags) in self.mailbox.items() if "\\Seen" not in flags]
            return "OK", [b" ".join(unseen)]
        if command == "FETCH":
            raw = self.mailbox[args[0]][0]
            return "OK", [(b"1 (UID " + args[0] + b" BODY[] {%d}" % len(raw), raw), b")"]
        if command == "STORE":
            self.mailbox[args[0]][1].add(args[2].strip("()"))
            return "OK", [b""]
        raise AssertionError(command)

    def expunge(self):
        return "OK", [b""]

    def logout(self):
        return "BYE", [b""]


@pytest.fixture
def imap(settings, monkeypatch, values):
    settings.INBOUND_IMAP_HOST = "imap.helpdesk.localhost"
    settings.INBOUND_IMAP_USER = "support@helpdesk.localhost"
    settings.INBOUND_IMAP_PASSWORD = "app-password"
    FakeIMAP.mailbox = {
        b"41": (render("new_ticket_plain.eml", **values), set()),
        b"42": (render("unknown_sender.eml", **values), set()),
        b"43": (render("windows1251.eml", **values), {"\\Seen"}),
    }
    FakeIMAP.logins = []
    monkeypatch.setattr(sources.imaplib, "IMAP4_SSL", FakeIMAP)
    return FakeIMAP


@pytest.mark.django_db
def test_the_imap_mailbox_is_read_and_each_unseen_mail_marked_seen(imap, customer):
    output = fetch_mail("--imap")

    assert imap.logins == [("imap.helpdesk.localhost", 993, "support@helpdesk.localhost")]
    assert "Processed 2 message(s)" in output
    assert set(InboundMessage.objects.values_list("source", "status")) == {
        (Source.IMAP, Status.TICKET),
        (Source.IMAP, Status.HELD),
    }
    assert all("\\Seen" in flags for _, flags in imap.mailbox.values())
    assert "Processed 0 message(s)" in fetch_mail("--imap")


@pytest.mark.django_db
def test_a_refused_imap_login_is_a_command_error_and_nothing_is_read(imap, settings):
    settings.INBOUND_IMAP_PASSWORD = "wrong"

    with pytest.raises(CommandError, match="AUTHENTICATIONFAILED"):
        fetch_mail("--imap")
    assert not InboundMessage.objects.exists()


# --- running from cron -----------------------------------------------------------------


def _in_thread(target, *args):
    """Run target on its own database connection, as a second process would."""
    result = {}

    def run():
        try:
            result["value"] = target(*args)
        except Exception as exc:  # surfaced by the test
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.mark.django_db(transaction=True)
def test_a_run_started_while_another_holds_the_lock_does_nothing(maildrop, ticket):
    held, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with sources.fetch_lock() as got:
            assert got
            held.set()
            release.wait(10)

    thread, result = _in_thread(hold_the_lock)
    held.wait(10)
    try:
        output = fetch_mail(str(maildrop))
    finally:
        release.set()
        thread.join(10)

    assert "Another fetch_mail run is going" in output
    assert not InboundMessage.objects.exists()
    assert "error" not in result
    assert "Processed 9" in fetch_mail(str(maildrop))  # the lock is free again


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_process_each_message_once(maildrop, ticket):
    start = threading.Barrier(2)

    def run():
        start.wait(10)
        return fetch_mail(str(maildrop))

    runs = [_in_thread(run) for _ in range(2)]
    for thread, _ in runs:
        thread.join(60)

    outputs = [result.get("value") or repr(result.get("error")) for _, result in runs]
    assert InboundMessage.objects.count() == 9
    assert Ticket.objects.filter(channel=Channel.EMAIL).count() == 3
    assert Comment.objects.filter(ticket=ticket).count() == 1
    assert sum("Processed 9 message(s)" in out and "duplicate" not in out for out in outputs) == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_mail_from_two_ways_at_once_is_acted_on_once(values, ticket):
    """Without the command's lock (webhook and mailbox together): the Message-ID decides."""
    raws = [render(name, **values) for name in MAILDROP]
    start = threading.Barrier(2)

    def deliver(source):
        start.wait(10)
        return [inbound_receive(raw=raw, source=source).pk for raw in raws]

    runs = [_in_thread(deliver, Source.WEBHOOK), _in_thread(deliver, Source.IMAP)]
    for thread, _ in runs:
        thread.join(60)

    assert [result.get("error") for _, result in runs] == [None, None]
    assert runs[0][1]["value"] == runs[1][1]["value"]
    assert InboundMessage.objects.count() == len(MAILDROP)
    assert Ticket.objects.filter(channel=Channel.EMAIL).count() == 3
    assert Comment.objects.filter(ticket=ticket).count() == 1
    assert InboundMessage.objects.filter(reason=Reason.ERROR).count() == 0
    assert connection.vendor == "postgresql"


def test_a_mail_server_can_pipe_one_message_in_on_standard_input(values, monkeypatch):
    import sys

    raw = render("new_ticket_plain.eml", **values)

    class Stdin:
        buffer = io.BytesIO(raw)

    monkeypatch.setattr(sys, "stdin", Stdin())
    out = fetch_mail("-")

    inbound = InboundMessage.objects.get()
    assert (inbound.source, inbound.status) == (Source.PIPE, Status.TICKET)
    assert Ticket.objects.filter(channel=Channel.EMAIL).count() == 1
    assert "stdin" in out


def test_a_mail_whose_processing_failed_is_processed_again_not_called_a_duplicate(values):
    raw = render("new_ticket_plain.eml", **values)
    inbound = inbound_receive(raw=raw, source=Source.FILE)
    # As after an outage in the middle of processing: stored, failed with an error.
    Ticket.objects.all().delete()
    InboundMessage.objects.filter(pk=inbound.pk).update(
        status=Status.FAILED, reason=Reason.ERROR, detail="OperationalError: server closed"
    )
    again = inbound_receive(raw=raw, source=Source.FILE)
    assert again.pk == inbound.pk and again.status == Status.TICKET
    assert Ticket.objects.filter(channel=Channel.EMAIL).count() == 1
