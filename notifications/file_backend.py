"""The mail sink of the demo and of a developer's setup: one ``.eml`` file per message.

Django's file backend appends every message of a connection to one ``.log`` file with a
line of dashes between them; a mail client opens neither. Here each message is its own
RFC 5322 file, named after the moment it was written, that a double-click opens.
"""

import datetime
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or settings.EMAIL_FILE_PATH).resolve()
        try:
            self.file_path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ImproperlyConfigured(
                f"Could not create the mail directory {self.file_path}: {error}"
            ) from error

    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages or []:
            if not message.recipients():
                continue
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            path = self.file_path / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            try:
                with path.open("xb") as handle:
                    handle.write(message.message().as_bytes())
            except Exception:
                path.unlink(missing_ok=True)
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent
