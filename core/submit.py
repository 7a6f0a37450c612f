"""Each submit is done once: a form carries a one-time token, and the write and the
token's row commit together. A second post with the same token waits for the first
(the unique index), then gets its result instead of doing the work again. The portal's
forms and the staff admin's ticket page use it."""

import secrets
from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import SubmitToken

KEPT = timedelta(days=1)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class SubmitTokenField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(widget=forms.HiddenInput, required=False, max_length=64, **kwargs)


def submit_once(*, user, token: str, action: Callable[[], str]) -> tuple[str, bool]:
    """Run ``action`` (which returns the URL of its result) once per token: returns the
    URL and whether this post did the work."""
    if not token:
        return action(), True
    try:
        with transaction.atomic():
            claim = SubmitToken.objects.create(user=user, key=token)
            url = action()
            claim.result_url = url[:300]
            claim.save(update_fields=["result_url"])
            return url, True
    except IntegrityError:
        earlier = SubmitToken.objects.filter(user=user, key=token).first()
        if earlier is None or not earlier.result_url:
            raise
        return earlier.result_url, False


def submit_tokens_forget() -> int:
    """Tokens older than a day are no longer needed (beat)."""
    deleted, _ = SubmitToken.objects.filter(created_at__lt=timezone.now() - KEPT).delete()
    return deleted
