"""From the bytes of a mail to what the helpdesk needs of it: who, to whom, about what.

MIME is Python's ``email`` package (``policy=default``); what it leaves undecided —
a missing or wrong charset, 8-bit bytes in a header — is settled here, with
charset-normalizer as the last resort. Addresses are read with the package's strict
header parser, never with ``email.utils.parseaddr`` (CVE-2023-27043: an address in the
display name was taken for the mailbox). No database here.
"""

import codecs
import dataclasses
import datetime
import hashlib
import logging
import math
import mimetypes
import re
from email import policy
from email.errors import ObsoleteHeaderDefect
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

import charset_normalizer
from django.utils.translation import gettext as _

from mailin.replies import html_to_text

logger = logging.getLogger("mailin")

# Tried, in this order of preference, when a part's charset is missing or wrong: the
# customers write Russian or English, from Windows, old Unix mailers or webmail.
FALLBACK_CHARSETS = ["cp1251", "koi8_r", "cp866", "iso8859_5", "mac_cyrillic", "cp1252"]
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
# Something shaped like an address in a display name ("liis@baltic.example <x@evil.org>").
ADDRESS_SHAPED = re.compile(r"[^\s@<>\"',;:()]+@[^\s@<>\"',;:()]+")
# "phrase <mailbox>" whose phrase the strict parser refuses (an unquoted "@" in it).
PHRASE_AND_MAILBOX = re.compile(r"^(?P<phrase>[^<>\"]*?)\s*<(?P<mailbox>[^<>\s]+)>\s*$")
# A detached signature proves nothing to the helpdesk and is no file of the customer's.
SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
SIGNATURE_NAMES = frozenset({"signature.asc", "smime.p7s"})
# Letter frequencies of Russian text (per cent): a header too short for charset-normalizer
# is read in the Cyrillic charset whose reading looks most like Russian.
RUSSIAN_FREQUENCY = dict(zip(
    "оеаинтсрвлкмдпуяызбгьчйхжшюцщэфъё",
    (10.97, 8.45, 8.01, 7.35, 6.70, 6.26, 5.47, 4.73, 4.54, 4.40, 3.49, 3.21, 2.98, 2.81,
     2.62, 2.01, 1.90, 1.65, 1.59, 1.70, 1.74, 1.44, 1.21, 0.97, 0.94, 0.73, 0.64, 0.48,
     0.36, 0.32, 0.26, 0.04, 0.20),
    strict=True,
))
HEADER_CHARSETS = ("cp1251", "koi8_r", "cp866", "iso8859_5")
PUNCTUATION = frozenset("«»—–№…“”„‘’•·")


class MalformedMail(Exception):
    """The bytes are not a mail we can act on; the message says why."""


@dataclasses.dataclass(frozen=True)
class MailAttachment:
    name: str
    content_type: str
    content: bytes


@dataclasses.dataclass(frozen=True)
class Sender:
    """Who the From header names: the mailbox, never the display name."""

    address: str
    name: str
    problem: str = ""  # why the From is ambiguous (the mail is held), '' when it is not


@dataclasses.dataclass(frozen=True)
class Forwarded:
    """A mail forwarded as a message/rfc822 part: kept as an .eml file, its text shown."""

    sender: str
    date: str
    subject: str
    text: str


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
    sender_problem: str = ""
    # Forwards whose text is not the body already (when the whole mail is one, it is).
    forwarded: list[Forwarded] = dataclasses.field(default_factory=list)
    charset: str | None = None  # the charset of the body, which raw 8-bit headers share

    def header(self, name: str) -> str:
        """A header's value as text, '' when absent."""
        return header(self.message, name, charset=self.charset)


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
    if message.get_content_maintype() == "multipart" and not message.get_boundary():
        raise MalformedMail(
            "A multipart message without a boundary: its parts cannot be told apart."
        )
    body_parts, text = _body(message)
    charset = text_charset(body_parts)
    sender = sender_of(message, charset=charset)
    if not sender.address:
        raise MalformedMail(sender.problem)
    subject = header(message, "Subject", charset=charset)
    forwarded = forwards(message)
    if not text and forwarded:  # the whole mail is a forward: its text is the body
        subject = subject or forwarded[0].subject
        text, forwarded = forwarded[0].text, forwarded[1:]
    return ParsedMail(
        message=message,
        message_id=message_id_of(message, raw),
        from_address=sender.address,
        from_name=sender.name,
        recipients=addresses(message, RECIPIENT_HEADERS, charset=charset),
        subject=subject,
        sent_at=_date(message),
        references=references(message),
        text=text,
        attachments=_attachments(message, body_parts),
        sender_problem=sender.problem,
        forwarded=forwarded,
        charset=charset,
    )


# --- headers -------------------------------------------------------------------------


def clean_header(value, charset: str | None = None) -> str:
    """A header value as one line of text (str() decodes RFC 2047 encoded words)."""
    if value is None:
        return ""
    text = str(value)
    if _has_8bit(text):
        text = decode_header_bytes(text.encode("utf-8", "surrogateescape"), charset)
    return " ".join(text.replace("\x00", "").split())


def header_values(message: EmailMessage, name: str, *, charset: str | None = None) -> list[str]:
    """Every value of a header as text. Raw 8-bit bytes (no encoded words, as old mailers
    send them) are decoded in the charset of the mail's text, or by guessing it; the email
    package would turn them into replacement characters."""
    wanted = name.lower()
    raw_values = [value for key, value in message.raw_items() if key.lower() == wanted]
    parsed_values = message.get_all(name) or []
    return [
        clean_header(raw, charset) if _has_8bit(raw) else clean_header(parsed)
        for raw, parsed in zip(raw_values, parsed_values, strict=False)
    ]


def header(message: EmailMessage, name: str, *, charset: str | None = None) -> str:
    values = header_values(message, name, charset=charset)
    return values[0] if values else ""


def _has_8bit(raw) -> bool:
    return isinstance(raw, str) and any("\udc80" <= ch <= "\udcff" for ch in raw)


def _raw_values(message: EmailMessage, name: str, charset: str | None = None) -> list[str]:
    """A header's values as written (encoded words left for the parser), 8-bit decoded."""
    wanted = name.lower()
    values = [str(value) for key, value in message.raw_items() if key.lower() == wanted]
    return [
        (decode_header_bytes(v.encode("utf-8", "surrogateescape"), charset) if _has_8bit(v) else v)
        .replace("\x00", "").replace("\r", "").replace("\n", "")
        for v in values
    ]


def _mailboxes(value: str):
    """(addresses, defects) of an address list, by the email package's strict parser."""
    parsed = policy.default.header_factory("To", value)
    defects = [d for d in parsed.defects if not isinstance(d, ObsoleteHeaderDefect)]
    return list(parsed.addresses), defects


def sender_of(message: EmailMessage, *, charset: str | None = None) -> Sender:
    """The From mailbox (``addr_spec``), and why it is ambiguous if it is: several From
    headers or addresses, a header the strict parser refuses, or an address-shaped
    display name that is not the mailbox. Never raises; no address when there is none."""
    values = _raw_values(message, "From", charset)
    if not values or not values[0].strip():
        return Sender("", "", "No From header: there is no sender to answer.")
    value = values[0]
    try:
        found, defects = _mailboxes(value)
    except Exception:  # the parser's own failure on hostile input
        found, defects = [], ["unparsable"]
    problem = ""
    if defects:
        # "liis@baltic.example <x@evil.org>": the mailbox is in the angle brackets.
        rescued = _phrase_and_mailbox(value)
        found = rescued or found
        # "ivan@x.example <ivan@x.example>", as some mailers write it, is no ambiguity.
        if not (rescued and _names_its_own_mailbox(rescued[0])):
            problem = _("The From header is not well-formed")
    mailboxes = [a for a in found if a.username and a.domain]
    if not mailboxes:
        return Sender("", "", f"The From header has no valid address: {value[:200]!r}")
    first = mailboxes[0]
    address, name = first.addr_spec.strip().lower()[:320], first.display_name.strip()[:200]
    if len(values) > 1:
        problem = _("The mail has several From headers")
    elif len(found) > 1:
        problem = _("The mail names several senders")
    elif any(shaped.lower() != address for shaped in ADDRESS_SHAPED.findall(name)):
        problem = _("The sender's display name is another address")
    if problem:
        problem = _("%(problem)s (From: %(header)s); its mailbox is %(address)s.") % {
            "problem": problem, "header": value[:200], "address": address,
        }
    return Sender(address, name, problem)


def _names_its_own_mailbox(address) -> bool:
    return address.display_name.strip().lower() == address.addr_spec.strip().lower()


def _phrase_and_mailbox(value: str) -> list:
    """The mailbox of "phrase <mailbox>" with the phrase taken as a quoted display name."""
    match = PHRASE_AND_MAILBOX.match(value.strip())
    if not match:
        return []
    phrase = match.group("phrase").strip().replace("\\", "").replace('"', "")
    try:
        found, defects = _mailboxes(f'"{phrase}" <{match.group("mailbox")}>')
    except Exception:
        return []
    return found if not defects and len(found) == 1 else []


def addresses(message: EmailMessage, names, *, charset: str | None = None) -> list[str]:
    """The lower-cased addresses in the given headers, each once (strict parsing)."""
    found = []
    for name in names:
        for value in _raw_values(message, name, charset):
            try:
                mailboxes, _defects = _mailboxes(value)
            except Exception:  # a recipient header the parser chokes on names nobody
                logger.info("unparsable %s header: %r", name, value[:200])
                continue
            found += [a.addr_spec.strip().lower() for a in mailboxes if a.username and a.domain]
    return list(dict.fromkeys(found))


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
    return _decoded(data, declared)[0]


def _decoded(data: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """The text, and the charset it was read in (None when nothing fitted)."""
    if not data:
        return "", None
    for candidate in ("utf-8", _known(declared)):
        if candidate:
            try:
                return data.decode(candidate), candidate
            except UnicodeDecodeError:
                continue
    best = charset_normalizer.from_bytes(data, cp_isolation=FALLBACK_CHARSETS).best()
    if best is None:
        return data.decode("utf-8", "replace"), None
    return str(best), best.encoding


def decode_header_bytes(data: bytes, charset: str | None = None) -> str:
    """Raw 8-bit bytes of a header: UTF-8 if they are, else the charset the mail's text is
    in (one mailer wrote both), else the Cyrillic reading that looks most like Russian: a
    subject is too short for charset-normalizer, which reads KOI8-R as windows-1251."""
    for candidate in ("utf-8", _known(charset)):
        if candidate:
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                continue
    readings = []
    for candidate in HEADER_CHARSETS:
        try:
            readings.append(data.decode(candidate))
        except UnicodeDecodeError:
            continue
    best = max(readings, key=_russian_likeness, default=None)
    if best is None or _russian_likeness(best) == -math.inf:
        return decode_bytes(data)
    return best


def _russian_likeness(text: str) -> float:
    """Mean log-frequency of the letters, less a point per capital inside a lower-case word
    (a wrong table swaps the case: "оЕ ТБВПФБЕФ")."""
    letters = [ch.lower() for ch in text if not ch.isascii() and ch not in PUNCTUATION]
    if not any(ch in RUSSIAN_FREQUENCY for ch in letters):
        return -math.inf
    score = sum(math.log(RUSSIAN_FREQUENCY.get(ch, 0.001)) for ch in letters) / len(letters)
    return score - len(re.findall(r"[а-яё][А-ЯЁ]", text))


def text_charset(body_parts: list[EmailMessage]) -> str | None:
    """The charset the mail's text was read in, if it had 8-bit text: old mailers write
    raw 8-bit headers in the same charset as the body."""
    for part in body_parts:
        payload = part.get_payload(decode=True)
        if payload and not payload.isascii():
            return _decoded(payload, part.get_content_charset())[1]
    declared = [_known(part.get_content_charset()) for part in body_parts]
    return next((c for c in declared if c and c != "ascii"), None)


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
        if is_detached_signature(part):
            continue  # dropped quietly: it signs the mail, it is no file of the customer's
        number = len(found) + 1
        try:
            found.append(_attachment(part, number))
        except Exception:  # one unreadable part must not lose the customer's mail
            logger.warning("attachment %s could not be decoded", number, exc_info=True)
            found.append(MailAttachment(f"attachment-{number}", part.get_content_type(), b""))
    return found


def is_detached_signature(part: EmailMessage) -> bool:
    """A PGP or S/MIME signature of the mail (``signature.asc``, ``smime.p7s``)."""
    name = clean_header(part.get_filename()).lower()
    return part.get_content_type() in SIGNATURE_TYPES or name in SIGNATURE_NAMES


def forwards(message: EmailMessage) -> list[Forwarded]:
    """The mails forwarded as attachments (message/rfc822 parts), with their text."""
    found = []
    for part in _leaves(message):
        if part.get_content_type() != "message/rfc822":
            continue
        try:
            inner = part.get_payload()[0]
            body_parts, text = _body(inner)
            charset = text_charset(body_parts)
            found.append(Forwarded(
                sender=header(inner, "From", charset=charset),
                date=header(inner, "Date"),
                subject=header(inner, "Subject", charset=charset),
                text=text,
            ))
        except Exception:  # the .eml is still attached; only its text is not shown
            logger.warning("a forwarded message could not be read", exc_info=True)
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
