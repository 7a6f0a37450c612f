"""Signed per-ticket reply addresses: ``support+HD-2026-00042.<sig>@example.com``.

The signature is an HMAC of the ticket number under SECRET_KEY, so only addresses we
handed out verify: a reply to a forged address names no ticket. The number is signed in
upper case and the signature is hex, so an MTA that lower-cases local parts does no harm.
"""

from email.utils import parseaddr

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "notifications.tokens.reply_address"
SIGNATURE_LENGTH = 16


def _signature(number: str) -> str:
    digest = salted_hmac(_SALT, number.upper(), algorithm="sha256").hexdigest()
    return digest[:SIGNATURE_LENGTH]


def _support_parts() -> tuple[str, str]:
    local, _at, domain = settings.SUPPORT_EMAIL.rpartition("@")
    return local, domain


def reply_address(ticket) -> str:
    """The Reply-To of every mail about the ticket: the support address plus a signed tag."""
    local, domain = _support_parts()
    number = ticket.number.upper()
    return f"{local}+{number}.{_signature(number)}@{domain}"


def ticket_number_from_address(address: str) -> str | None:
    """The ticket number tagged in a reply address, or None unless its signature verifies."""
    _name, address = parseaddr(address or "")
    local, at, _domain = address.rpartition("@")
    if not at or "+" not in local:
        return None
    tag = local.split("+", 1)[1]
    number, dot, signature = tag.rpartition(".")
    if not dot or not number or len(signature) != SIGNATURE_LENGTH:
        return None
    number = number.upper()
    if not constant_time_compare(signature.lower(), _signature(number)):
        return None
    return number


_UNSUBSCRIBE_SALT = "notifications.tokens.unsubscribe"


def unsubscribe_token(user_id: int) -> str:
    """The signed id in a mail's one-click unsubscribe link (it mutes non-essential mail)."""
    return signing.dumps(user_id, salt=_UNSUBSCRIBE_SALT, compress=False)


def user_id_from_unsubscribe_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


_RATING_SALT = "notifications.tokens.satisfaction"


def rating_token(*, rating_id: int, ticket_id: int) -> str:
    """The signed, dated key of a satisfaction link: it names one rating of one ticket."""
    return signing.dumps({"r": rating_id, "t": ticket_id}, salt=_RATING_SALT, compress=False)


class RatingLinkExpired(Exception):
    """A satisfaction link we signed, older than its lifetime."""


def rating_from_token(token: str, *, max_age_days: int) -> tuple[int, int] | None:
    """(rating id, ticket id) of a link signed by us, or None for a forged or altered
    one; raises ``RatingLinkExpired`` for ours past ``max_age_days``."""
    try:
        value = signing.loads(token, salt=_RATING_SALT, max_age=max_age_days * 86400)
    except signing.SignatureExpired:
        raise RatingLinkExpired from None
    except signing.BadSignature:
        return None
    if not isinstance(value, dict):
        return None
    rating_id, ticket_id = value.get("r"), value.get("t")
    if not isinstance(rating_id, int) or not isinstance(ticket_id, int):
        return None
    return rating_id, ticket_id
