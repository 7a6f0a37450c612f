"""Every log line of a request carries its request id, the user id and the ticket number.

The id comes from ``X-Request-ID`` (set by the proxy or the caller, if it looks like an
id) or is made here, and goes back in the response's ``X-Request-ID``. The user is
bound once the session is read (``process_view`` runs after the authentication
middleware); the ticket number comes from the URL (``…/tickets/<number>/``), resolved
here so that the session's queries carry it too."""

import uuid

from django.urls import Resolver404, resolve

from core import logcontext

HEADER = "X-Request-ID"


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Cleared as a request starts, not as it ends: Django logs a 4xx or 5xx response
        # after the middleware has returned it, and that line belongs to this request.
        logcontext.clear()
        given = request.headers.get(HEADER, "")
        request.request_id = (
            given if logcontext.REQUEST_ID_PATTERN.match(given) else uuid.uuid4().hex
        )
        logcontext.bind(request_id=request.request_id, ticket=_ticket_number(request))
        response = self.get_response(request)
        response[HEADER] = request.request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        logcontext.bind(user_id=_user_id(request))


def _ticket_number(request) -> str | None:
    try:
        return resolve(request.path_info).kwargs.get("number")
    except Resolver404:
        return None


def _user_id(request):
    user = getattr(request, "user", None)
    try:
        return user.pk if user is not None and user.is_authenticated else None
    except Exception:  # noqa: BLE001 - the session's database may be down (readiness)
        return None
