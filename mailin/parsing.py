"""From the bytes of a mail to what the helpdesk needs of it: who, to whom, about what.

MIME is Python's ``email`` package (``policy=default``); what it leaves undecided —
a missing or wrong charset, 8-bit bytes in a header — is settled here, with
charset-normalizer as the last resort. No database here.
"""

import codecs
import dataclasses
import datetime
import hashlib
import logging
import mimetypes
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import charset_normalizer

from mailin.replies import html_to_text

logger = logging.getLogger("mailin")

# Tried, in this order of preference, when a part's charset is missing or wrong: the
# customers write Russian or English, from Windows, old Unix mailers or webmail.
FALLBACK_CHARSETS = ["cp1251", "koi8_r", "cp866", "iso8859_5", "mac_cyrillic", "cp1252"]
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


class MalformedMail(Exception):
    """The bytes are not a mail we can act on; the message says why."""


@dataclasses.dataclass(frozen=True)
class MailAttachment:
    name: str
    content_type: str
    content: bytes


@dataclasses.dataclass
class ParsedMail:
    message: EmailMessage
    message_id: str
    from_address: str
    from_name: str
    recipients: list[str]
    subject: str
    sent_at: datetime.datetime | None
    references: list[str]
    text: str
    attachments: list[MailAttachment]

    def header(self, name: str) -> str:
        """A header's value as text, '' when absent."""
        return header(self.message, name)


def raw_hash_id(raw: bytes) -> str:
    """The key of a mail that has no Message-ID: the same bytes always give the same key."""
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def parse_message(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def message_id_of(message: EmailMessage, raw: bytes) -> str:
    """The mail's Message-ID without angle brackets, or a hash of its bytes if it has none."""
    try:
        value = header(message, "Message-ID")
    except Exception:  # a header the parser chokes on counts as missing
        value = ""
    found = MESSAGE_ID.search(value)
    value = (found.group(1) if found else value.strip("<> ")).strip()
    return value[:900] if value else raw_hash_id(raw)


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse and decode one mail; raise ``MalformedMail`` if it is not one we can read."""
    try:
        message = parse_message(raw)
        return _parsed(message, raw)
    except MalformedMail:
        raise
    except Exception as exc:  # the email package's own failures on broken input
        raise MalformedMail(f"The message could not be parsed: {exc!r}") from exc


def _parsed(message: EmailMessage, raw: bytes) -> ParsedMail:
    if not message.keys():
        raise MalformedMail("No header fields: this is not an e-mail message.")
    from_name, from_address = _sender(message)
    if message.get_content_maintype() == "multipart" and not message.get_boundary():
        raise MalformedMail(
            "A multipart message without a boundary: its parts cannot be told apart."
        )
    body_parts, text = _body(message)
    return ParsedMail(
        message=message,
        message_id=message_id_of(message, raw),
        from_address=from_address,
        from_name=from_name,
        recipients=addresses(message, RECIPIENT_HEADERS),
        subject=header(message, "Subject"),
        sent_at=_date(message),
        references=references(message),
        text=text,
        attachments=_attachments(message, body_parts),
    )


# --- headers -------------------------------------------------------------------------


def clean_header(value) -> str:
    """A header value as one line of text (str() decodes RFC 2047 encoded words)."""
    if value is None:
        return ""
    text = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = decode_bytes(text.encode("utf-8", "surrogateescape"))
    return " ".join(text.replace("\x00", "").split())


def header_values(message: EmailMessage, name: str) -> list[str]:
    """Every value of a header as text. Raw 8-bit bytes (no encoded words, as old mailers
    send them) are decoded by guessing their charset; the email package would turn them
    into replacement characters."""
    wanted = name.lower()
    raw_values = [value for key, value in message.raw_items() if key.lower() == wanted]
    parsed_values = message.get_all(name) or []
    return [
        clean_header(raw) if _has_8bit(raw) else clean_header(parsed)
        for raw, parsed in zip(raw_values, parsed_values, strict=False)
    ]


def header(message: EmailMessage, name: str) -> str:
    values = header_values(message, name)
    return values[0] if values else ""


def _has_8bit(raw) -> bool:
    return isinstance(raw, str) and any("\udc80" <= ch <= "\udcff" for ch in raw)


def _sender(message: EmailMessage) -> tuple[str, str]:
    value = header(message, "From")
    name, address = parseaddr(value)
    address = address.strip().lower()
    if not value:
        raise MalformedMail("No From header: there is no sender to answer.")
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise MalformedMail(f"The From header has no valid address: {value[:200]!r}")
    return name.strip()[:200], address


def addresses(message: EmailMessage, names) -> list[str]:
    """The lower-cased addresses in the given headers, each once."""
    values = [value for name in names for value in header_values(message, name)]
    found = [address.strip().lower() for _, address in getaddresses(values)]
    return list(dict.fromkeys(a for a in found if "@" in a))


def references(message: EmailMessage) -> list[str]:
    """The Message-IDs the mail answers (In-Reply-To, then References), without brackets."""
    ids = []
    for name in ("In-Reply-To", "References"):
        for value in header_values(message, name):
            ids += MESSAGE_ID.findall(value) or ([value.strip()] if value.strip() else [])
    return list(dict.fromkeys(ids))


def _date(message: EmailMessage) -> datetime.datetime | None:
    try:
        when = parsedate_to_datetime(header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    # A date without a zone is taken as UTC: naive datetimes never reach the database.
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


# --- bodies and charsets -----------------------------------------------------------------


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes whose label may be missing or wrong.

    Valid non-ASCII UTF-8 is UTF-8 whatever the label says (the usual mislabel); then
    the declared charset if Python knows it; then the best of FALLBACK_CHARSETS.
    """
    if not data:
        return ""
    for candidate in ("utf-8", _known(declared)):
        if candidate:
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                continue
    best = charset_normalizer.from_bytes(data, cp_isolation=FALLBACK_CHARSETS).best()
    return str(best) if best is not None else data.decode("utf-8", "replace")


def _known(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None


def part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:  # a multipart without a boundary, seen as one text
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    # NUL is no text (and PostgreSQL refuses it in a text column).
    return decode_bytes(payload, part.get_content_charset()).replace("\x00", "")


def _body(message: EmailMessage) -> tuple[list[EmailMessage], str]:
    """The parts that make the body, and its text (HTML turned to text when alone)."""
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    text = part_text(plain).strip() if plain is not None else ""
    if not text and html is not None:
        text = html_to_text(part_text(html)).strip()
    return [p for p in (plain, html) if p is not None], text


# --- attachments ---------------------------------------------------------------------


def _leaves(part: EmailMessage):
    if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
        for sub in part.iter_parts():
            yield from _leaves(sub)
    else:
        yield part


def _attachments(message: EmailMessage, body_parts: list[EmailMessage]) -> list[MailAttachment]:
    found = []
    for part in _leaves(message):
        if any(part is body for body in body_parts) or _is_alternative_text(part):
            continue
        number = len(found) + 1
        try:
            found.append(_attachment(part, number))
        except Exception:  # one unreadable part must not lose the customer's mail
            logger.warning("attachment %s could not be decoded", number, exc_info=True)
            found.append(MailAttachment(f"attachment-{number}", part.get_content_type(), b""))
    return found


def _is_alternative_text(part: EmailMessage) -> bool:
    """An inline text or HTML part with no file name is body, not a file."""
    return (
        part.get_content_maintype() == "text"
        and part.get_content_subtype() in ("plain", "html")
        and part.get_content_disposition() != "attachment"
        and not part.get_filename()
    )


def _attachment(part: EmailMessage, number: int) -> MailAttachment:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload()[0]
        content = inner.as_bytes(policy=policy.SMTP)
        default_name = f"{header(inner, 'Subject') or 'message'}.eml"
    else:
        content = part.get_payload(decode=True) or b""
        extension = mimetypes.guess_extension(content_type) or ""
        default_name = f"attachment-{number}{extension}"
    name = clean_header(part.get_filename()) or default_name
    return MailAttachment(name=name, content_type=content_type, content=content)
