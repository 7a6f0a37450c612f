"""``Idempotency-Key`` on POST: a retried request gets the first answer, and nothing is
done twice. It is the forms' submit-once mechanism (``core.submit.once``, rows of
``core.models.SubmitToken`` of kind ``api``): the key, its caller, a fingerprint of the
request and the answer are kept for ``API_IDEMPOTENCY_HOURS`` (24). What is the API's own
lives here: the fingerprint, the replayed answer and its headers, the 422 for the same key
with another request and the 409 for one still in flight.

The key's row is written in the same transaction as the change, so two requests with
the same key at the same moment are serialised by its unique constraint: the second
waits for the first and then replays its answer.
"""

import functools
import hashlib
import json

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from core.models import SubmitToken
from core.submit import once

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "ETag")


def _file_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return f"{upload.name}:{upload.size}:{digest.hexdigest()}"


def _value(value):
    return _file_digest(value) if isinstance(value, UploadedFile) else value


def fingerprint(request) -> str:
    """What makes two requests the same one: method, path and body (files by content)."""
    data = request.data
    if hasattr(data, "lists"):
        body = sorted((key, str(_value(v))) for key, values in data.lists() for v in values)
    else:
        body = data
    seed = json.dumps([request.method, request.path, body], sort_keys=True, default=str)
    return hashlib.sha256(seed.encode()).hexdigest()


def _replay(record: SubmitToken, digest: str) -> Response:
    if record.fingerprint != digest:
        raise IdempotencyKeyReused()
    if record.status_code is None:
        raise IdempotencyKeyInFlight()
    response = Response(record.body, status=record.status_code, headers=record.headers)
    response[REPLAYED_HEADER] = "true"
    return response


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 255:
        raise exceptions.ValidationError(
            {HEADER: [_("An Idempotency-Key has 1 to 255 characters.")]}
        )
    return key


def _answer_kept(response) -> dict | None:
    """A success is kept to be replayed; anything else leaves the key free."""
    if not 200 <= response.status_code < 300:
        return None
    return {
        "status_code": response.status_code,
        "body": json.loads(JSONRenderer().render(response.data) or b"null"),
        "headers": {h: response[h] for h in KEPT_HEADERS if response.has_header(h)},
    }


def idempotent(handler):
    """Decorate a view's ``post``: with an Idempotency-Key, the first successful answer
    is kept and replayed; failures (4xx) leave nothing done and the key free."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = _key(request)
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        digest = fingerprint(request)
        response, _first = once(
            user=request.user,
            kind=SubmitToken.Kind.API,
            key=key,
            fingerprint=digest,
            action=lambda: handler(view, request, *args, **kwargs),
            record=_answer_kept,
            replay=lambda earlier: _replay(earlier, digest),
        )
        return response

    return wrapper
