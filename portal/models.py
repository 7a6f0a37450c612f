"""What the portal keeps of its own: the one-time submit tokens of its forms."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SubmitToken(models.Model):
    """A form's one-time token: the first post with it does the work and records where
    its result is; a second post (a double click, a resend) is shown that result."""

    key = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("submit token")
        verbose_name_plural = _("submit tokens")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_submit_per_token")
        ]

    def __str__(self) -> str:
        return self.key
