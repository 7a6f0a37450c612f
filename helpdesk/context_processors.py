from django.conf import settings
from django.utils.functional import SimpleLazyObject

from tickets.selectors import urgent_not_accepted


def support_line(request):
    return {
        "SUPPORT_PHONE": settings.SUPPORT_PHONE,
        "SUPPORT_PHONE_EXT": settings.SUPPORT_PHONE_EXT,
        "REOPEN_WINDOW_DAYS": settings.REOPEN_WINDOW_DAYS,
    }


def urgent_banner(request):
    """On the staff side: the Urgent incidents nobody has accepted yet (read only when a
    page shows the banner)."""
    user = getattr(request, "user", None)
    if not (request.path.startswith("/admin/") and user and getattr(user, "is_contractor", False)):
        return {}
    return {
        "urgent_waiting": SimpleLazyObject(urgent_waiting),
        "live_poll_ms": settings.STAFF_LIVE_POLL_SECONDS * 1000,
    }


def urgent_waiting() -> list:
    """The banner's tickets (the first five)."""
    return list(urgent_not_accepted()[:5])
