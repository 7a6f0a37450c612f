from django.conf import settings


def support_line(request):
    return {
        "SUPPORT_PHONE": settings.SUPPORT_PHONE,
        "SUPPORT_PHONE_EXT": settings.SUPPORT_PHONE_EXT,
        "REOPEN_WINDOW_DAYS": settings.REOPEN_WINDOW_DAYS,
    }
