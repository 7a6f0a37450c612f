"""python manage.py fetch_mail [PATH ...] [-] [--mbox FILE] [--imap] [--done-dir DIR]

Reads inbound mail when the provider's webhook is not the way in (or the web system
was down) and acts on each message once. Safe from cron: a second run while one is
going does nothing; a message already stored (same Message-ID) is skipped, unless its
processing failed before (then it is processed again). ``-`` reads one message from
standard input, so a mail transfer agent can pipe mail in.

With the database unreachable it exits with 75 (EX_TEMPFAIL, what an MTA retries) and
leaves every message where it was: nothing is marked seen, moved or deleted.
"""

import logging
import sys
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from mailin import sources
from mailin.models import Source
from mailin.services import inbound_process, inbound_resume_stuck, inbound_store, inbound_take_again

EX_TEMPFAIL = 75

logger = logging.getLogger("mailin")


class Command(BaseCommand):
    help = "Read message files or directories, mbox files or the IMAP mailbox into tickets."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*",
            help="message files, directories of them (every file is read), or - for standard input",
        )
        parser.add_argument("--mbox", action="append", default=[], help="an mbox file")
        parser.add_argument("--imap", action="store_true", help="the INBOUND_IMAP_* mailbox")
        parser.add_argument("--done-dir", help="move each message file here once it is stored")

    def handle(self, *args, paths, mbox, imap, done_dir, **options):
        if not (paths or mbox or imap):
            raise CommandError("Name .eml files or directories, -, --mbox FILE, or --imap.")
        try:
            with sources.fetch_lock() as held:
                if not held:
                    self.stdout.write("Another fetch_mail run is going; this one does nothing.")
                    return
                counts = self._run(paths=paths, mbox=mbox, imap=imap, done_dir=done_dir)
        except DatabaseError as exc:
            logger.error("fetch_mail: the database is unreachable (%s); try again later", exc)
            self.stderr.write(f"The database is unreachable; nothing was taken: {exc}")
            sys.exit(EX_TEMPFAIL)
        skipped = counts.pop("skipped", 0)
        summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "none"
        self.stdout.write(f"Processed {sum(counts.values())} message(s) ({summary}).")
        if skipped:
            self.stdout.write(f"Skipped {skipped} file(s), each named above with the reason.")

    def _run(self, *, paths, mbox, imap, done_dir) -> Counter:
        counts = Counter()
        resumed = inbound_resume_stuck()
        if resumed:
            self.stdout.write(f"Processed {resumed} message(s) an interrupted run had left.")
        readers = []
        if "-" in paths:
            readers.append(iter([sources.RawMail(sys.stdin.buffer.read(), Source.PIPE, "stdin")]))
            paths = [path for path in paths if path != "-"]
        if paths:
            readers.append(sources.message_files(paths, done_dir=done_dir))
        readers += [sources.mbox_messages(path) for path in mbox]
        if imap:
            readers.append(sources.imap_messages())
        try:
            for reader in readers:
                for mail in reader:
                    counts[self._one(mail)] += 1
        except sources.SourceError as exc:
            raise CommandError(str(exc)) from exc
        return counts

    def _one(self, mail: sources.RawMail) -> str:
        if mail.skipped:
            self.stdout.write(f"{mail.label}: skipped, {mail.skipped}")
            return "skipped"
        inbound, created = inbound_store(raw=mail.raw, source=mail.source)
        outcome = "duplicate"
        if created or inbound_take_again(inbound=inbound):
            created = True
            inbound = inbound_process(inbound=inbound)
            outcome = inbound.status
        try:
            mail.done()
        except Exception:  # the mail is stored; the next run sees it as a duplicate
            logger.exception("%s: stored, but could not be marked done", mail.label)
        self.stdout.write(f"{mail.label}: {outcome} {inbound.reason if created else ''}".rstrip())
        return outcome
