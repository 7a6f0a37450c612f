"""``Idempotency-Key`` on POST: a retried request gets the first answer, and nothing is
done twice. The key, its caller, a fingerprint of the request and the answer are kept in
the database for ``API_IDEMPOTENCY_HOURS`` (24); the same key with another request is a 422.

The key's row is written in the same transaction as the change, so two requests with
the same key at the same moment are serialised by its unique constraint: the second
waits for the first and then replays its answer.
"""

import datetime
import functools
import hashlib
import json

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from api.models import IdempotentRequest

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


class _NotKept(Exception):
    """An answer that is not a success: the key is not used up."""

    def __init__(self, response):
        self.response = response


def _replay(record: IdempotentRequest, digest: str) -> Response:
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


def idempotent(handler):
    """Decorate a view's ``post``: with an Idempotency-Key, the first successful answer
    is kept and replayed; failures (4xx) leave nothing done and the key free."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = _key(request)
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        digest = fingerprint(request)
        cutoff = timezone.now() - datetime.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
        mine = IdempotentRequest.objects.filter(user=request.user, key=key)
        mine.filter(created_at__lt=cutoff).delete()
        record = mine.first()
        if record is not None:
            return _replay(record, digest)
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = IdempotentRequest.objects.create(
                            user=request.user, key=key, fingerprint=digest
                        )
                except IntegrityError:
                    # The same key just committed by a parallel request: its answer.
                    return _replay(mine.get(), digest)
                response = handler(view, request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    raise _NotKept(response)
                record.status_code = response.status_code
                record.body = json.loads(JSONRenderer().render(response.data) or b"null")
                record.headers = {h: response[h] for h in KEPT_HEADERS if response.has_header(h)}
                record.save(update_fields=["status_code", "body", "headers"])
        except _NotKept as not_kept:
            return not_kept.response
        return response

    return wrapper


def forget_old_keys() -> int:
    """Periodic: drop the keys past their lifetime."""
    cutoff = timezone.now() - datetime.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _rows = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
