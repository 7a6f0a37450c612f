"""Where ``fetch_mail`` reads mail: message files, mbox files, the IMAP mailbox.

Each reader yields ``RawMail``; ``done()`` is called once the mail is stored (whatever
became of it), so a mail is moved away or marked seen only after it is safe here.
A run holds one lock, so cron may start the next run while one is still going.
"""

import contextlib
import dataclasses
import fcntl
import imaplib
import logging
import mailbox
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

from mailin.models import Source

logger = logging.getLogger("mailin")

# pg_try_advisory_lock key: any constant; this one is "mailin" in ASCII.
ADVISORY_LOCK_KEY = 0x6D61696C696E


class SourceError(Exception):
    """A source cannot be read at all (missing file, IMAP login refused)."""


@dataclasses.dataclass
class RawMail:
    raw: bytes
    source: str
    label: str
    done: Callable[[], None] = lambda: None
    skipped: str = ""  # why this file was not read (it is left where it is), '' if it was


@contextlib.contextmanager
def fetch_lock() -> Iterator[bool]:
    """Yield True if this run holds the lock, False if another run is going."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            held = cursor.fetchone()[0]
        try:
            yield held
        finally:
            if held:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
        return
    path = Path(settings.INBOUND_LOCK_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- files -------------------------------------------------------------------------------


def message_files(paths: list[str], *, done_dir: str | None = None) -> Iterator[RawMail]:
    """The message files named, and every file in the directories named (sorted), whatever
    its name: a maildir's files have no extension, a client saves .msg or .txt. What is not
    read is yielded as skipped, with the reason, and left where it is."""
    for path in map(Path, paths):
        if path.is_dir():
            entries = sorted(path.iterdir())
        elif path.is_file():
            entries = [path]
        else:
            raise SourceError(f"{path} is neither a message file nor a directory.")
        for entry in entries:
            why = _not_a_message_file(entry)
            if why:
                yield RawMail(b"", Source.FILE, str(entry), skipped=why)
                continue
            try:
                raw = entry.read_bytes()
            except OSError as exc:
                logger.error("cannot read %s: %s", entry, exc)
                yield RawMail(b"", Source.FILE, str(entry), skipped=f"cannot be read: {exc}")
                continue
            if not raw.strip():
                yield RawMail(b"", Source.FILE, str(entry), skipped="empty (still being written?)")
                continue
            yield RawMail(raw, Source.FILE, str(entry), _mover(entry, done_dir))


def _not_a_message_file(path: Path) -> str:
    """Why a directory entry is not taken as a message, or ''."""
    if path.is_dir():
        return "a directory (name it to read the files in it)"
    if not path.is_file():
        return "not a regular file"
    if path.name.startswith("."):
        return "a hidden file"
    return ""


def _mover(file: Path, done_dir: str | None) -> Callable[[], None]:
    def move() -> None:
        if done_dir:
            target = Path(done_dir)
            target.mkdir(parents=True, exist_ok=True)
            shutil.move(str(file), str(target / file.name))

    return move


def mbox_messages(path: str) -> Iterator[RawMail]:
    """Every message of an mbox file (it is read, not changed: Message-IDs keep it once)."""
    if not Path(path).is_file():
        raise SourceError(f"{path} is not an mbox file.")
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys():
            yield RawMail(box.get_bytes(key), Source.MBOX, f"{path}#{key}")
    finally:
        box.close()


# --- IMAP --------------------------------------------------------------------------------


def imap_messages() -> Iterator[RawMail]:
    """Unseen messages of the support mailbox over IMAP with TLS; each marked seen (or
    moved to INBOUND_IMAP_DONE_MAILBOX) once stored."""
    host = settings.INBOUND_IMAP_HOST
    if not host:
        raise SourceError("INBOUND_IMAP_HOST is not set.")
    try:
        client = imaplib.IMAP4_SSL(host, settings.INBOUND_IMAP_PORT, timeout=60)
        client.login(settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD)
        _ok(client.select(settings.INBOUND_IMAP_MAILBOX), "select the mailbox")
        uids = _ok(client.uid("SEARCH", None, "UNSEEN"), "search")[0].split()
    except (OSError, imaplib.IMAP4.error) as exc:
        raise SourceError(f"IMAP {host}: {exc}") from exc
    try:
        for uid in uids:
            raw = _fetch(client, uid)
            if raw is not None:
                yield RawMail(raw, Source.IMAP, f"imap:{uid.decode()}", _imap_done(client, uid))
        if settings.INBOUND_IMAP_DONE_MAILBOX:
            client.expunge()
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _ok(response, what: str):
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"could not {what}: {data!r}")
    return data


def _fetch(client, uid: bytes) -> bytes | None:
    try:
        data = _ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), "fetch")
    except imaplib.IMAP4.error as exc:
        logger.error("IMAP message %s not fetched: %s", uid, exc)
        return None
    parts = [item[1] for item in data if isinstance(item, tuple) and len(item) > 1]
    return parts[0] if parts else None


def _imap_done(client, uid: bytes) -> Callable[[], None]:
    def mark() -> None:
        done_mailbox = settings.INBOUND_IMAP_DONE_MAILBOX
        if done_mailbox:
            _ok(client.uid("COPY", uid, done_mailbox), "copy to the done mailbox")
            _ok(client.uid("STORE", uid, "+FLAGS", r"(\Deleted)"), "delete")
        else:
            _ok(client.uid("STORE", uid, "+FLAGS", r"(\Seen)"), "mark seen")

    return mark
