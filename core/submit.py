"""Each submit is done once, by one mechanism for every way in (``core.models.SubmitToken``).

``once`` claims the key (its row, unique per person, kind and key) in the caller's
transaction, runs the action, and records its result in the same transaction. A second
request with the same key waits for the first on the unique index, then gets the first
result instead of doing the work again. A key past its lifetime (``kept``) is free again.

Two ways in use it:

- ``submit_once``: a form's one-time token (``SubmitTokenField``; the portal's forms and
  the staff admin's ticket page); the result is the URL the person is sent to.
- ``api.idempotency``: the REST API's ``Idempotency-Key``; the result is the first answer,
  and the API compares the request's fingerprint and replays the answer.

``submit_tokens_forget`` (hourly, beat) drops the rows of both kinds past their lifetime.
"""

import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import SubmitToken

T = TypeVar("T")

# How long a form's token is kept; the API's keys are kept API_IDEMPOTENCY_HOURS.
KEPT = timedelta(days=1)


def kept(kind: str) -> timedelta:
    """How long a key of this kind and its result are kept."""
    if kind == SubmitToken.Kind.API:
        return timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    return KEPT


def new_token() -> str:
    return secrets.token_urlsafe(24)


class SubmitTokenField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(widget=forms.HiddenInput, required=False, max_length=64, **kwargs)


def once(
    *,
    user,
    kind: str,
    key: str,
    action: Callable[[], T],
    record: Callable[[T], Mapping[str, Any] | None],
    replay: Callable[[SubmitToken], T],
    fingerprint: str = "",
) -> tuple[T, bool]:
    """Run ``action`` once per (user, kind, key); returns its result and whether this
    call ran it. ``record`` turns the result into the fields to keep on the key's row
    (``result_url``, or ``status_code``/``body``/``headers``); when it returns None the
    result is not one to keep: the action's work and the claim roll back together and
    the key stays free. A repeat gets ``replay(row)`` of the first call's row; the
    row's ``fingerprint`` (given here at the claim) lets ``replay`` refuse another
    request under the same key."""
    mine = SubmitToken.objects.filter(user=user, kind=kind, key=key)
    for retry in (False, True):
        claimed = False
        try:
            with transaction.atomic():
                claim = SubmitToken.objects.create(
                    user=user, kind=kind, key=key, fingerprint=fingerprint
                )
                claimed = True
                result = action()
                fields = record(result)
                if fields is None:  # not one to keep: the work and the claim roll back
                    transaction.set_rollback(True)
                    return result, True
                for name, value in fields.items():
                    setattr(claim, name, value)
                claim.save(update_fields=list(fields))
                return result, True
        except IntegrityError:
            if claimed:
                raise  # the action's own, not the key's
            cutoff = timezone.now() - kept(kind)
            earlier = mine.first()
            if earlier is not None and (earlier.created_at >= cutoff or retry):
                return replay(earlier), False
            if retry:
                raise
            # Past its lifetime (the hourly purge has not come yet), or just purged: the
            # key is free again; claim it once more.
            mine.filter(created_at__lt=cutoff).delete()
    raise AssertionError("unreachable")  # pragma: no cover


def submit_once(*, user, token: str, action: Callable[[], str]) -> tuple[str, bool]:
    """Run ``action`` (which returns the URL of its result) once per form token: returns
    the URL and whether this post did the work."""
    if not token:
        return action(), True

    def replay(earlier: SubmitToken) -> str:
        if not earlier.result_url:
            raise IntegrityError(f"Submit token {earlier.pk} has no result.")
        return earlier.result_url

    return once(
        user=user,
        kind=SubmitToken.Kind.FORM,
        key=token,
        action=action,
        record=lambda url: {"result_url": url[:300]},
        replay=replay,
    )


def submit_tokens_forget() -> int:
    """Keys past their lifetime, of every kind, go (hourly, beat)."""
    now = timezone.now()
    past = Q()
    for kind in SubmitToken.Kind:
        past |= Q(kind=kind, created_at__lt=now - kept(kind))
    deleted, _ = SubmitToken.objects.filter(past).delete()
    return deleted
