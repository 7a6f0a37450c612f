"""Personal API tokens: create (shown once), revoke, and find the one a request carries."""

import datetime
import hashlib
import secrets

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken, TokenScope
from core.errors import ActionRefused
from core.optional import optional

TOKEN_PREFIX = "hd_"
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def _hash(raw: str) -> str:
    # The token has 256 random bits: a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *, user, name: str, scope: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new personal token for the user; returns it with the secret, shown only once."""
    name = name.strip()
    if not name:
        raise ActionRefused(_("Give the token a name."), code="name_required")
    if scope not in TokenScope.values:
        raise ActionRefused(_("Choose the token's scope."), code="bad_scope")
    if expires_at is not None and expires_at <= timezone.now():
        raise ActionRefused(_("The expiry date must be in the future."), code="bad_expiry")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        scope=scope,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=_hash(raw),
        expires_at=expires_at,
    )
    return token, raw


def api_token_revoke(*, token: ApiToken, actor) -> None:
    """Its owner (or contractor staff) revokes a token; it stops working at once."""
    if token.user_id != actor.pk and not actor.is_contractor:
        raise ActionRefused(_("You may not do that with this token."), code="forbidden")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def api_token_find(raw: str) -> ApiToken | None:
    """The usable token with this secret (not revoked, not expired, its user active)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(raw)).first()
    if token is None or not token.is_usable:
        return None
    _note_use(token)
    return token


def _note_use(token: ApiToken) -> None:
    """Optional: a failure to record the last use never refuses the request."""
    now = timezone.now()
    if token.last_used_at is not None and token.last_used_at >= now - LAST_USED_PRECISION:
        return
    with optional("last use of an API token", token=token.pk):
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)


def tokens_of(user):
    return ApiToken.objects.filter(user=user)
