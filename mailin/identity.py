"""Whether a mail's sender is who its From says: only our own mail server can tell.

Anybody can write any From. What proves it is DMARC, evaluated by the server that
received the mail for us and written in its ``Authentication-Results`` header (RFC 8601)
under its authserv-id, which we configure (``INBOUND_AUTHSERV_ID``); headers with any
other id were written by someone else and count for nothing. So:

- our server says DMARC failed: the mail is held as spoofed;
- it says DMARC passed *for the domain of the From mailbox*: the sender is verified;
- anything else (no such header, no id configured, a pass for another domain, as in
  ``From: liis@baltic.example <x@evil.org>`` with DMARC passing for evil.org): the sender
  is unverified. A ticket or a comment may still come of it (the product works by
  e-mail, and the confirmation goes to the real mailbox), but no privileged action does.
"""

import dataclasses
import re

from django.conf import settings

from mailin.parsing import ParsedMail, header_values

COMMENT = re.compile(r"\([^()]*\)")
RESULT = re.compile(r"^\s*(?P<method>[\w.-]+)\s*=\s*(?P<result>[\w-]+)(?P<properties>.*)$", re.S)
PROPERTY = re.compile(r"(?P<name>[\w-]+\.[\w-]+)\s*=\s*\"?(?P<value>[^\s\";]+)\"?")


@dataclasses.dataclass(frozen=True)
class MethodResult:
    method: str
    result: str
    properties: dict


def our_results(mail: ParsedMail) -> list[tuple[str, list[MethodResult]]]:
    """Our server's Authentication-Results, topmost (the last added, ours) first: each
    as (the header as written, its results)."""
    authserv_id = (getattr(settings, "INBOUND_AUTHSERV_ID", "") or "").strip().lower()
    if not authserv_id:
        return []
    found = []
    for value in header_values(mail.message, "Authentication-Results"):
        text = value
        while COMMENT.search(text):
            text = COMMENT.sub(" ", text)
        server, _, results = text.partition(";")
        if [token.lower() for token in server.split()[:1]] == [authserv_id]:
            found.append((value, _results(results)))
    return found


def _results(text: str) -> list[MethodResult]:
    results = []
    for part in text.split(";"):
        match = RESULT.match(part)
        if match:
            properties = {
                p.group("name").lower(): p.group("value").lower()
                for p in PROPERTY.finditer(match.group("properties"))
            }
            method, result = match.group("method").lower(), match.group("result").lower()
            results.append(MethodResult(method, result, properties))
    return results


def failed_authentication(mail: ParsedMail) -> str:
    """The Authentication-Results of our own mail server if it says DMARC failed, else ''.

    Only headers stamped with INBOUND_AUTHSERV_ID count: a sender can write any other.
    """
    for value, results in our_results(mail):
        if any(r.method == "dmarc" and r.result == "fail" for r in results):
            return value
    return ""


def sender_verified(mail: ParsedMail) -> bool:
    """Our server's topmost Authentication-Results say dmarc=pass for the domain of the
    From mailbox (never of a display name), and none of ours says it failed."""
    ours = our_results(mail)
    if not ours or failed_authentication(mail):
        return False
    domain = mail.from_address.rpartition("@")[2].rstrip(".").lower()
    return any(
        r.method == "dmarc" and r.result == "pass"
        and r.properties.get("header.from", "").rstrip(".") == domain
        for r in ours[0][1]
    )
