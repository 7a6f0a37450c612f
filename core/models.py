"""What operations read: heartbeats of the moving parts, and leases that keep a periodic
job to one runner. Rows of the database, not of Redis: they must hold while Redis is down
and work through a transaction-pooling PgBouncer (no session-level locks). And the
one-time submit tokens of the write forms and the API's idempotency keys."""

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
    """One submit, done once: the first request with a key does the work and records its
    result here; a repeat (a double click, a resend, a client's retry) is given that
    result. ``core.submit`` is the one engine; two ways in use it, told apart by ``kind``
    so that a key chosen by an API client never meets a form's token of the same person:

    - ``form``: a one-time token every write form carries (the portal's forms, the staff
      admin's ticket page); the result is ``result_url``, where the person is sent.
    - ``api``: the REST API's ``Idempotency-Key`` (``api.idempotency``); the result is the
      first answer (``status_code``, ``body``, the ``headers`` worth replaying) and the
      request's ``fingerprint``, so that the same key with another request is refused.

    Each kind is kept its own time (``core.submit.kept``). The table keeps the portal's
    name, where it started."""

    class Kind(models.TextChoices):
        FORM = "form", _("Form")
        API = "api", _("API request")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FORM)
    key = models.CharField(max_length=255)
    result_url = models.CharField(max_length=300, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "portal_submittoken"
        verbose_name = _("submit token")
        verbose_name_plural = _("submit tokens")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="one_submit_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"
