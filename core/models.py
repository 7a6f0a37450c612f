"""What operations read: heartbeats of the moving parts, and leases that keep a periodic
job to one runner. Rows of the database, not of Redis: they must hold while Redis is down
and work through a transaction-pooling PgBouncer (no session-level locks). And the
one-time submit tokens every form that writes carries."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last moment a part proved alive: ``worker:<hostname>`` (its queues in
    ``detail``), ``sla-sweep`` (the sweep finished)."""

    name = models.CharField(_("name"), max_length=200, primary_key=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return self.name


class Lease(models.Model):
    """A named job held by one runner until ``expires_at`` (e.g. Celery beat)."""

    name = models.CharField(_("name"), max_length=100, primary_key=True)
    holder = models.CharField(_("holder"), max_length=200)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")

    def __str__(self) -> str:
        return f"{self.name} ({self.holder})"


class SubmitToken(models.Model):
    """A form's one-time token: the first post with it does the work and records where
    its result is; a second post (a double click, a resend) is shown that result. Every
    way in uses it (the portal's forms, the staff admin's ticket page), so it lives here;
    the table keeps the portal's name, where it started."""

    key = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "portal_submittoken"
        verbose_name = _("submit token")
        verbose_name_plural = _("submit tokens")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_submit_per_token")
        ]

    def __str__(self) -> str:
        return self.key
