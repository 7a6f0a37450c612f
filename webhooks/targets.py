"""Where a webhook may go: http(s) to a public address only (no SSRF into our network).

The host is resolved and every address it has is checked, when the subscription is saved
and again at each delivery; the delivery then connects to the address that was checked,
so a name that changes its answer in between (DNS rebinding) cannot slip through.
``WEBHOOK_ALLOW_PRIVATE_TARGETS`` lets private targets through (tests, a closed network).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import ActionRefused


class TargetRefused(ActionRefused):
    pass


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def target_resolve(url: str) -> tuple[str, int, str, list[str]]:
    """(scheme, port, host, addresses) of an allowed target, else TargetRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(_("The target must be an http or https URL."), code="bad_target")
    if parts.username or parts.password:
        raise TargetRefused(_("The target must not contain credentials."), code="bad_target")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused(_("The target's port is not valid."), code="bad_target") from exc
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(
            _("The target's host name does not resolve."), code="target_unresolved"
        ) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            if not _is_public(ipaddress.ip_address(address.split("%")[0])):
                raise TargetRefused(
                    _("The target resolves to a private, loopback, link-local or multicast "
                      "address; webhooks go to public addresses only."),
                    code="private_target",
                )
    return parts.scheme, port, host, addresses
