"""Personal API tokens. (The answers of idempotent POSTs are ``core.models.SubmitToken``
rows: one submit-once mechanism with the forms.)"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class ApiToken(models.Model):
    """A personal token: it acts exactly as its user. Only a hash of it is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(
        _("scope"), max_length=16, choices=TokenScope.choices, default=TokenScope.READ
    )
    # The first characters of the token, shown in lists so its owner can tell them apart.
    prefix = models.CharField(_("starts with"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired and self.user.is_active

    @property
    def may_write(self) -> bool:
        return self.scope == TokenScope.READ_WRITE
