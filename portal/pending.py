"""Files chosen on a form that comes back with an error are not lost.

A browser never re-sends a file input, so when a form is shown again (a field error, a
refusal, the improper-words confirmation, "check for similar tickets"), the files that
came with it are kept here as pending uploads of that person: shown as "attached:
x.png (remove)", sent with the form as their ids, and attached when it succeeds. They
are bounded (ATTACHMENT_MAX_FILES per form, the attachment size limit each, a day at
most) and only their uploader can use or see them.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from portal.models import PendingUpload
from tickets.attachments import clean_filename, inspect_upload

FIELD = "pending"
REMOVE_FIELD = "pending_remove"


def lifetime() -> datetime.timedelta:
    return datetime.timedelta(hours=getattr(settings, "PENDING_UPLOAD_HOURS", 24))


def from_post(*, user, post) -> list[PendingUpload]:
    """The person's pending uploads named by the form; those they ticked "remove" go."""
    removed = {int(v) for v in post.getlist(REMOVE_FIELD) if v.isdigit()}
    if removed:
        discard(list(PendingUpload.objects.filter(user=user, pk__in=removed)))
    wanted = {int(v) for v in post.getlist(FIELD) if v.isdigit()} - removed
    if not wanted:
        return []
    return list(
        PendingUpload.objects.filter(
            user=user, pk__in=wanted, created_at__gte=timezone.now() - lifetime()
        ).order_by("pk")[: settings.ATTACHMENT_MAX_FILES]
    )


def keep(*, user, files, already: list[PendingUpload]) -> list[PendingUpload]:
    """Keep the files of a form shown again, beside those it already had. A file that is
    itself refused (too big, a type we do not take) is not kept: the form says why."""
    kept = list(already)
    for upload in files:
        if len(kept) >= settings.ATTACHMENT_MAX_FILES:
            break
        try:
            inspect_upload(upload)
        except ValidationError:
            continue
        upload.seek(0)
        kept.append(
            PendingUpload.objects.create(
                user=user, file=upload, original_name=clean_filename(upload.name or ""),
                size=upload.size,
            )
        )
    return kept


def as_uploads(pending: list[PendingUpload]) -> list[SimpleUploadedFile]:
    """The kept files as uploads again, for the same services that take a form's files."""
    uploads = []
    for item in pending:
        with item.file.open("rb") as stored:
            uploads.append(SimpleUploadedFile(item.original_name, stored.read()))
    return uploads


def discard(pending: list[PendingUpload]) -> None:
    """Attached or removed: the rows go now, their files once the transaction commits."""
    names = [item.file.name for item in pending]
    storage = PendingUpload._meta.get_field("file").storage
    PendingUpload.objects.filter(pk__in=[item.pk for item in pending]).delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def forget_expired() -> int:
    """Hourly: pending uploads older than their lifetime go, files and all."""
    old = list(PendingUpload.objects.filter(created_at__lt=timezone.now() - lifetime()))
    discard(old)
    return len(old)
