"""Fixed-window counters in the database, for what sends mail (password reset).

django-ratelimit was the first choice, but it counts in the cache: with Redis down its
``cache.add`` raises (a 500 on the reset page), and it refuses the database cache as not
atomic. Here one row per key and window is incremented with an UPDATE, which PostgreSQL
serialises, so concurrent requests cannot slip past the limit.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import ThrottleCounter

HOUR = 3600
KEPT = datetime.timedelta(days=1)  # older windows are deleted as new ones are counted


def throttle_count(*, scope: str, value: str, window_seconds: int = HOUR) -> int:
    """Count one more attempt of ``scope`` by ``value`` (an address, a client IP) and
    return how many there were in the current window, this one included."""
    now = timezone.now()
    start = int(now.timestamp()) // window_seconds * window_seconds
    window_start = datetime.datetime.fromtimestamp(start, tz=datetime.UTC)
    # A keyed hash: the table holds no addresses, and its keys cannot be guessed back.
    key = salted_hmac("accounts.throttle", f"{scope}:{value}", algorithm="sha256").hexdigest()
    with transaction.atomic():
        counter, _created = ThrottleCounter.objects.get_or_create(
            scope=scope, key=key, window_start=window_start
        )
        ThrottleCounter.objects.filter(pk=counter.pk).update(count=F("count") + 1)
        count = ThrottleCounter.objects.values_list("count", flat=True).get(pk=counter.pk)
    ThrottleCounter.objects.filter(window_start__lt=now - KEPT).delete()
    return count


def password_reset_allowed(*, email: str, ip: str) -> bool:
    """May one more password-reset mail go? At most PASSWORD_RESET_PER_ADDRESS_HOURLY
    per address (whether or not it has an account, so the answer tells nothing) and
    PASSWORD_RESET_PER_IP_HOURLY requests per client address."""
    per_address = throttle_count(scope="password_reset_address", value=email.strip().lower())
    per_ip = throttle_count(scope="password_reset_ip", value=ip or "unknown")
    return (
        per_address <= settings.PASSWORD_RESET_PER_ADDRESS_HOURLY
        and per_ip <= settings.PASSWORD_RESET_PER_IP_HOURLY
    )
