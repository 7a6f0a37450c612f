"""Who is knocking, and what a page may load: the client's address (for lockouts and
throttles), django-axes' lockout parameters, and the Content-Security-Policy."""

import ipaddress
from functools import lru_cache

from axes.attempts import get_cool_off_threshold
from axes.models import AccessAttempt
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.urls import reverse

# --- the client's address --------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(
        address.version == net.version and address in net for net in networks
    )


def client_ip(request) -> str:
    """The address of the client: REMOTE_ADDR, unless the request came from one of
    TRUSTED_PROXIES; then the last X-Forwarded-For hop that is not one of our proxies.

    Hops to the left of that one were written by the client and prove nothing, so a
    client that sends its own X-Forwarded-For, directly or through our proxy, cannot
    choose its address. (django-ipware's trusted-proxy setting matches proxies listed
    inside the header, which our nginx never writes, and does not look at the peer.)
    """
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(_address(remote), networks):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return remote  # a garbled header: the proxy is the best we know
        if not _trusted(address, networks):
            return str(address)
    return remote


# --- lockout (django-axes) -------------------------------------------------------------


def axes_lockout_parameters(request_or_attempt, credentials=None) -> list:
    """What a lockout applies to. Always the account (its failures from anywhere); the
    client's address only once it has failed on AXES_IP_ACCOUNTS_LIMIT different
    accounts within the cool-off (password spraying). One account's failures never lock
    the address, which may be a company's NAT or our own proxy."""
    ip = getattr(request_or_attempt, "axes_ip_address", None) or getattr(
        request_or_attempt, "ip_address", None
    )
    if ip and _accounts_failed_from(request_or_attempt, ip) >= settings.AXES_IP_ACCOUNTS_LIMIT:
        return ["username", "ip_address"]
    return ["username"]


def _accounts_failed_from(request_or_attempt, ip: str) -> int:
    attempts = AccessAttempt.objects.filter(ip_address=ip)
    if getattr(request_or_attempt, "axes_attempt_time", None) is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request_or_attempt))
    return attempts.values("username").distinct().count()


# --- Content-Security-Policy -----------------------------------------------------------

# The staff admin's own templates and list columns use inline styles (never scripts):
# its pages allow them, and only them.
ADMIN_CSP_UPDATE = {"style-src": ["'unsafe-inline'"]}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's allowance for inline styles."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(reverse("admin:index")):
            parts.update = {**ADMIN_CSP_UPDATE, **(parts.update or {})}
        return parts
