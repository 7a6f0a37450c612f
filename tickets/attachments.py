"""What files a ticket accepts: the type is decided from the bytes, never from the name.

No database here: ``inspect_upload`` takes a file and returns what to store, or raises
``ValidationError`` with a message the person who uploaded it can act on.
"""

import dataclasses
import os

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Detected type -> the extensions a file of that type may carry.
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "image/png": frozenset({".png"}),
    "image/jpeg": frozenset({".jpg", ".jpeg"}),
    "image/gif": frozenset({".gif"}),
    "image/webp": frozenset({".webp"}),
    "image/bmp": frozenset({".bmp"}),
    "application/pdf": frozenset({".pdf"}),
    "application/zip": frozenset({".zip"}),
    "application/gzip": frozenset({".gz", ".tgz"}),
    "application/x-tar": frozenset({".tar"}),
    "application/x-bzip2": frozenset({".bz2"}),
    "application/x-xz": frozenset({".xz"}),
    "application/x-7z-compressed": frozenset({".7z"}),
    "application/vnd.rar": frozenset({".rar"}),
    "application/x-rar-compressed": frozenset({".rar"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": frozenset({".docx"}),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": frozenset({".xlsx"}),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": frozenset(
        {".pptx"}
    ),
    "text/plain": frozenset(
        {
            "",
            ".txt",
            ".log",
            ".csv",
            ".json",
            ".xml",
            ".ini",
            ".conf",
            ".cfg",
            ".yaml",
            ".yml",
            ".md",
            ".sql",
            ".out",
            ".err",
            ".trace",
            ".eml",  # a forwarded mail, kept as it came (downloads are never rendered)
        }
    ),
}
# Raster images only: an SVG can carry script and is never shown inline.
PREVIEWABLE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
TEXT_ENCODINGS = ("utf-8", "utf-16", "cp1251", "koi8-r")
SNIFF_BYTES = 64 * 1024


@dataclasses.dataclass(frozen=True)
class InspectedFile:
    name: str
    content_type: str
    size: int


def clean_filename(name: str) -> str:
    """The name shown and offered on download: no directories, no control characters."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*')
    return base[:200] or "file"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    for encoding in TEXT_ENCODINGS:
        try:
            head.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if encoding == "utf-8" and exc.start >= len(head) - 3:
                return True
            continue
        return True
    return False


def detect_type(head: bytes) -> str | None:
    """The MIME type the bytes say, or None when they are nothing we accept."""
    kind = filetype.guess_mime(head)
    if kind:
        return kind
    if _looks_like_text(head):
        lowered = head[:1024].lstrip().lower()
        # Markup is not a log file, whatever its name says.
        # Only what starts as markup: a log that records an attack (`<script>` in a
        # request line) is still a log, and downloads are never rendered anyway.
        if lowered.startswith(
            (
                b"<!doctype html",
                b"<html",
                b"<svg",
                b"<?xml-stylesheet",
                b"<script",
                b"<head",
                b"<body",
            )
        ):
            return "text/html"
        return "text/plain"
    return None


def max_image_pixels() -> int:
    return int(settings.ATTACHMENT_IMAGE_MAX_MEGAPIXELS * 1_000_000)


def _check_image(upload, name: str) -> None:
    """An image is read from its header only (nothing is decoded here): one that claims
    more pixels than the cap (a decompression bomb) or that cannot be read is refused."""
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        raise ValidationError(
            _(
                "“%(name)s” has more than %(megapixels)s megapixels. Make it smaller, or "
                "attach it in an archive (ZIP)."
            )
            % {"name": name, "megapixels": settings.ATTACHMENT_IMAGE_MAX_MEGAPIXELS},
            code="too_many_pixels",
        ) from None
    except (OSError, ValueError, SyntaxError):
        raise ValidationError(
            _("“%(name)s” could not be read as an image. Attach it in an archive (ZIP).")
            % {"name": name},
            code="bad_image",
        ) from None
    finally:
        upload.seek(0)
    if width * height > max_image_pixels():
        raise ValidationError(
            _(
                "“%(name)s” is %(width)s×%(height)s pixels; images may have at most "
                "%(megapixels)s megapixels. Make it smaller, or attach it in an archive (ZIP)."
            )
            % {
                "name": name,
                "width": width,
                "height": height,
                "megapixels": settings.ATTACHMENT_IMAGE_MAX_MEGAPIXELS,
            },
            code="too_many_pixels",
        )


def inspect_upload(upload) -> InspectedFile:
    """Check one uploaded file against the size limit and the allowed types."""
    name = clean_filename(upload.name or "")
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    detected = detect_type(head)
    if detected not in ALLOWED_TYPES:
        raise ValidationError(
            _(
                "“%(name)s” is not a file type we accept. Attach screenshots (PNG, JPEG), "
                "documents (PDF, Office), text or log files, or archives (ZIP, 7z, tar.gz)."
            )
            % {"name": name},
            code="type_not_allowed",
        )
    if detected in PREVIEWABLE_TYPES:
        _check_image(upload, name)
    extension = os.path.splitext(name)[1].lower()
    if extension not in ALLOWED_TYPES[detected]:
        raise ValidationError(
            _(
                "“%(name)s” does not contain what its name says: its content is %(type)s. "
                "Rename it or attach the original file."
            )
            % {"name": name, "type": detected},
            code="disguised",
        )
    return InspectedFile(name=name, content_type=detected, size=upload.size)


def too_many_files_message(name: str) -> str:
    return _("“%(name)s”: at most %(count)s files are attached at a time.") % {
        "name": clean_filename(name or ""),
        "count": settings.ATTACHMENT_MAX_FILES,
    }


def check_uploads(files) -> tuple[list[tuple[object, InspectedFile]], list[str]]:
    """The one attachment rule of every way in (portal form, services, inbound mail): at
    most ATTACHMENT_MAX_FILES files, each within the size limit and of an accepted type.
    Returns the accepted files with what to store, and the refusals in words; the portal
    and the services refuse the whole set on any refusal, mail in keeps the rest."""
    accepted, refused = [], []
    for upload in (f for f in files if f):
        if len(accepted) >= settings.ATTACHMENT_MAX_FILES:
            refused.append(too_many_files_message(upload.name))
            continue
        try:
            accepted.append((upload, inspect_upload(upload)))
        except ValidationError as exc:
            refused.extend(exc.messages)
    return accepted, list(dict.fromkeys(refused))


def inspected_or_refused(files) -> list[tuple[object, InspectedFile]]:
    """The files with what to store, or a ValidationError naming every refusal."""
    accepted, refused = check_uploads(files)
    if refused:
        raise ValidationError(refused)
    return accepted
