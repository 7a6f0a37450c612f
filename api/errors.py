"""Every error of the API as ``application/problem+json`` (RFC 9457), with a stable
machine-readable ``code`` and a message in the caller's language.

A rule that refuses (``core.errors.ActionRefused``) is a 409 with its reason; a change
made by someone else since the caller's ``If-Match`` is a 412.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status

from core.errors import ActionRefused

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:helpdesk:problem:"

TITLES = {
    400: gettext_lazy("The request is not valid"),
    401: gettext_lazy("Authentication needed"),
    403: gettext_lazy("Not allowed"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Refused by the rules"),
    412: gettext_lazy("Changed in the meantime"),
    415: gettext_lazy("Unsupported media type"),
    422: gettext_lazy("Idempotency key reused"),
    429: gettext_lazy("Too many requests"),
}
# Refusals that are about who asks, not about the ticket's state.
FORBIDDEN_CODES = {"forbidden", "not_customer", "not_representative"}


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale"
    default_detail = gettext_lazy(
        "The ticket was changed since you read it (its ETag no longer matches If-Match). "
        "Read it again, then repeat the change if it still makes sense."
    )


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = gettext_lazy(
        "This Idempotency-Key was used with a different request. Use a new key for a new request."
    )


class IdempotencyKeyInFlight(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_flight"
    default_detail = gettext_lazy(
        "A request with this Idempotency-Key is still being processed; retry in a moment."
    )


def problem(status_code: int, code: str, detail: str, request=None, **extra) -> JsonResponse:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": str(TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": str(detail),
        "code": code,
    }
    if request is not None:
        body["instance"] = request.path
    body.update(extra)
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _field_errors(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of {field, message, code}."""
    if isinstance(detail, dict):
        rows = []
        for name, value in detail.items():
            field = name if name != "non_field_errors" else ""
            path = f"{prefix}.{field}" if prefix and field else field or prefix
            rows += _field_errors(value, path)
        return rows
    if isinstance(detail, list):
        rows = []
        for value in detail:
            rows += _field_errors(value, prefix)
        return rows
    return [{"field": prefix, "message": str(detail), "code": getattr(detail, "code", "invalid")}]


def _django_errors(exc: DjangoValidationError) -> list[dict]:
    """A model-level ValidationError (a service's), with the fields it names."""
    if hasattr(exc, "error_dict"):
        return [
            {"field": "" if name == "__all__" else name, "message": message, "code": "invalid"}
            for name, errors in exc.message_dict.items()
            for message in errors
        ]
    return [{"field": "", "message": m, "code": "invalid"} for m in exc.messages]


def _refused(exc: ActionRefused, context) -> JsonResponse:
    request = context["request"]
    if exc.code == "concurrent" and request.headers.get("If-Match"):
        return problem(412, "stale", exc.message, request)
    status_code = 403 if exc.code in FORBIDDEN_CODES else 409
    extra = {}
    number = context["view"].kwargs.get("number")
    if exc.code == "reopen_window_passed" and number:
        # The rules offer a new ticket linked to the old one: say how to file it.
        extra["follow_up"] = {
            "method": "POST",
            "href": request.build_absolute_uri(reverse("api:ticket-list")),
            "body": {"follows": number},
        }
    return problem(status_code, exc.code, exc.message, request, **extra)


def exception_handler(exc, context):
    """DRF's exception handler, speaking problem+json."""
    request = context["request"]
    if isinstance(exc, ActionRefused):
        return _refused(exc, context)
    if isinstance(exc, DjangoValidationError):
        errors = _django_errors(exc)
        return problem(400, "invalid", "; ".join(exc.messages), request, errors=errors)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling logs it
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        return problem(400, "invalid", _("Some fields are not valid."), request, errors=errors)
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    response = problem(exc.status_code, code, exc.detail, request)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
