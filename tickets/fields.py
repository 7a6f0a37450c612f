"""Form fields the portal and the staff admin share."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tickets.attachments import inspected_or_refused


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked against the attachment rules."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        files = [super(MultipleFileField, self).clean(f, initial) for f in files]
        return [upload for upload, _info in inspected_or_refused(files)]


ATTACHMENT_HELP = _(
    "Screenshots, log files, documents or archives; up to %(count)s files, %(size)s MB each."
)


def attachment_help() -> str:
    return ATTACHMENT_HELP % {
        "count": settings.ATTACHMENT_MAX_FILES,
        "size": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
    }
