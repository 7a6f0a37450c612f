"""Bounces that arrive as mail: a delivery status notification (RFC 3464) about one of
our mails stops mail to the address that refused it, as the tracking webhook does.

Only a permanent failure (status 5.x.x) suppresses; a temporary one (4.x.x: mailbox
full, greylisting) does not, the outbox retries. And only for a report about one of
*our* mails to that very address: the report must name the Message-ID of a mail we sent
to the recipient it names (in its ``Original-Message-ID`` or in the returned headers).
Anybody can write a DSN, but only the recipient's mail servers know our Message-IDs (a
random one per mail), so a forged report cannot silence an arbitrary customer.
"""

import dataclasses
import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from django.utils.translation import gettext as _

from mailin.parsing import MESSAGE_ID, ParsedMail, references
from notifications.models import Notification, SuppressionKind
from notifications.services import suppression_add

logger = logging.getLogger("mailin")

ORIGINAL_ID_FIELDS = ("Original-Message-ID", "X-Original-Message-ID")
RECIPIENT_FIELDS = ("Final-Recipient", "Original-Recipient")
RETURNED_HEADERS = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")


@dataclasses.dataclass(frozen=True)
class Failure:
    """One recipient block of a delivery status report."""

    addresses: tuple[str, ...]  # Final-Recipient and Original-Recipient
    action: str
    status: str
    diagnostic: str

    @property
    def permanent(self) -> bool:
        return self.status.startswith("5.") and self.action in ("failed", "")


def dsn_apply(mail: ParsedMail) -> str:
    """Suppress the addresses a delivery status report says refused our mail for good;
    what was done, in words ('' when the mail is no such report)."""
    report = _report_part(mail.message)
    if report is None:
        return ""
    failures, ids = _read_report(report)
    ids += _returned_ids(mail.message) + [f"<{ref}>" for ref in references(mail.message)]
    ours = _our_recipients(ids)
    done = [_apply(failure, ours) for failure in failures]
    return " ".join(done) or _("A delivery report that names no recipient.")


def _apply(failure: Failure, ours: set[str]) -> str:
    named = ", ".join(failure.addresses) or "?"
    if not failure.permanent:
        return _("Delivery to %(address)s was delayed (%(status)s): not suppressed.") % {
            "address": named, "status": failure.status or "?",
        }
    mailed = [address for address in failure.addresses if address in ours]
    if not mailed:
        return _(
            "A permanent failure for %(address)s (%(status)s), but the report names none of "
            "our mails to that address: not suppressed."
        ) % {"address": named, "status": failure.status}
    for address in mailed:
        suppression_add(
            email=address,
            reason=SuppressionKind.HARD_BOUNCE,
            detail=f"{failure.status} {failure.diagnostic}".strip(),
            esp_name="dsn",
        )
    logger.info("DSN: suppressed %s (%s)", ", ".join(mailed), failure.status)
    return _(
        "Delivery to %(address)s failed permanently (%(status)s): the address is suppressed."
    ) % {"address": ", ".join(mailed), "status": failure.status}


def _report_part(message: EmailMessage) -> EmailMessage | None:
    if message.get_content_type() != "multipart/report":
        return None
    for part in message.iter_parts():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            return part
    return None


def _read_report(part: EmailMessage) -> tuple[list[Failure], list[str]]:
    """The recipient blocks of a message/delivery-status part, and the Message-IDs it names."""
    blocks = part.get_payload()
    if not isinstance(blocks, list):  # encoded, so the parser left it as one text
        text = (part.get_payload(decode=True) or b"").replace(b"\r\n", b"\n")
        parser = BytesParser(policy=policy.default)
        blocks = [parser.parsebytes(chunk, headersonly=True) for chunk in text.split(b"\n\n")]
    failures, ids = [], []
    for block in blocks:
        for name in ORIGINAL_ID_FIELDS:
            ids += [f"<{found}>" for found in MESSAGE_ID.findall(str(block.get(name, "")))]
        recipients = [_address(block.get(name)) for name in RECIPIENT_FIELDS]
        recipients = tuple(dict.fromkeys(a for a in recipients if a))
        if recipients:
            failures.append(Failure(
                addresses=recipients,
                action=str(block.get("Action", "")).strip().lower(),
                status=str(block.get("Status", "")).strip().split(" ")[0],
                diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split())[:500],
            ))
    return failures, ids


def _address(value) -> str:
    """The address of "rfc822; someone@example.com"."""
    kind, semicolon, address = str(value or "").partition(";")
    address = (address if semicolon else kind).strip().strip("<>").lower()
    return address if "@" in address else ""


def _returned_ids(message: EmailMessage) -> list[str]:
    """The Message-ID of the returned mail (message/rfc822 or text/rfc822-headers)."""
    ids = []
    for part in message.iter_parts():
        kind = part.get_content_type()
        if kind not in RETURNED_HEADERS:
            continue
        try:
            if kind == "message/rfc822":
                returned = part.get_payload()[0]
            else:
                content = part.get_payload(decode=True) or b""
                returned = BytesParser(policy=policy.default).parsebytes(content, headersonly=True)
            value = str(returned.get("Message-ID", ""))
        except Exception:  # a mangled returned part names no mail of ours
            logger.warning("DSN: the returned headers could not be read", exc_info=True)
            continue
        ids += [f"<{found}>" for found in MESSAGE_ID.findall(value)]
    return ids


def _our_recipients(ids: list[str]) -> set[str]:
    """The addresses our mails with these Message-IDs were sent to."""
    if not ids:
        return set()
    emails = Notification.objects.filter(message_id__in=set(ids)).values_list("to_email", flat=True)
    return {email.lower() for email in emails}
