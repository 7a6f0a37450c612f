"""Rate limits per token (or signed-in person) and per client address, in the cache.

They fail open: with Redis down the API keeps answering, and the failure is logged.
"""

import logging

from django.conf import settings
from rest_framework import throttling

from accounts.security import client_ip
from api.models import ApiToken

logger = logging.getLogger(__name__)


class _FailOpen(throttling.SimpleRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        # The rate is read per request, so a changed setting takes effect at once.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.exception("API rate limit skipped: the cache is unavailable")
            return True


class PerCallerThrottle(_FailOpen):
    """Per token, or per person for a session."""

    scope = "caller"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}-{request.auth.key_hash[:12]}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PerAddressThrottle(_FailOpen):
    """Per client address (behind TRUSTED_PROXIES, the real client's), for everyone."""

    scope = "address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}
