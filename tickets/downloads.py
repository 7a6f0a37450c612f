"""The one response an attachment leaves by (the portal's download view, its content
origin and the API's): as a download or our re-encoded thumbnail, never sniffed, in a
sandbox, never cached by a shared cache."""

from django.http import FileResponse, Http404, HttpResponse

from tickets.models import Attachment
from tickets.previews import preview_png


def attachment_response(
    attachment: Attachment,
    *,
    preview: bool = False,
    same_origin: bool = True,
    content_type: str | None = None,
) -> HttpResponse:
    """``preview``: the thumbnail, inline (404 when there is none); else the file as an
    attachment under its original name. ``same_origin`` False: served from the content
    origin, which the portal's pages embed. ``content_type``: instead of the stored one."""
    if preview:
        # Inline only a thumbnail we re-encoded, never the uploaded bytes.
        png = preview_png(attachment)
        if png is None:
            raise Http404
        response = HttpResponse(png, content_type="image/png")
        response["Content-Disposition"] = "inline"
    else:
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=content_type or attachment.content_type,
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    # The portal's pages show the thumbnails of the content origin.
    response["Cross-Origin-Resource-Policy"] = "same-origin" if same_origin else "cross-origin"
    return response
