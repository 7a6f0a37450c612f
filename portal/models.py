"""What the portal keeps of its own: files of forms shown again (its one-time submit
tokens are ``core.models.SubmitToken``, the table still has the portal's name)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def pending_upload_path(instance: "PendingUpload", filename: str) -> str:
    return f"pending/{instance.user_id}/{timezone.now():%Y%m%d}/{filename}"


class PendingUpload(models.Model):
    """A file chosen on a form that came back with an error: kept so that the person does
    not choose it again, visible to them only, attached when the form goes through, and
    forgotten after PENDING_UPLOAD_HOURS (portal.pending)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to=pending_upload_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("pending upload")
        verbose_name_plural = _("pending uploads")

    def __str__(self) -> str:
        return self.original_name
