"""Files from a separate origin (USER_CONTENT_URL), an optional setting.

An uploaded file that a browser could be tricked into running (an HTML page, an SVG)
does no harm on an origin that holds no session and no page of the portal. With
USER_CONTENT_URL set (for example https://files.helpdesk.example), the portal's download
view checks the reader's permission as always, then redirects to a signed address on
that origin, valid for USER_CONTENT_MAX_AGE seconds and for that one file. The content
origin serves nothing else: no page, no session, every other path is 404.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.urls import reverse

SALT = "portal.user_content"


def enabled() -> bool:
    return bool(getattr(settings, "USER_CONTENT_URL", ""))


def content_host() -> str:
    return urlsplit(settings.USER_CONTENT_URL).netloc.lower()


def on_content_host(request) -> bool:
    return enabled() and request.get_host().lower() == content_host()


def signed_url(attachment, *, preview: bool) -> str:
    token = signing.dumps({"a": attachment.pk, "p": int(preview)}, salt=SALT, compress=True)
    path = reverse("portal:user_content", kwargs={"token": token})
    return settings.USER_CONTENT_URL.rstrip("/") + path


def unsign(token: str) -> tuple[int, bool]:
    """The attachment and whether a preview is asked, from a token still valid; else 404."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.USER_CONTENT_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        raise Http404 from None
    return int(data["a"]), bool(data["p"])


class UserContentHostMiddleware:
    """On the content origin, only the signed file addresses answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if on_content_host(request) and not request.path_info.startswith("/files/"):
            raise Http404
        return self.get_response(request)
