"""Image previews: a thumbnail re-encoded with Pillow, never the uploaded bytes.

What the browser shows inline is a PNG we made, at most PREVIEW_SIZE pixels a side, from
an image whose pixel count is capped (a decompression bomb is refused at upload and
again here). Archives and logs are never opened or rendered on the server.
"""

import io

from tickets.attachments import max_image_pixels
from tickets.models import Attachment

PREVIEW_SIZE = 1280


def preview_png(attachment: Attachment) -> bytes | None:
    """The preview of an image attachment, or None if it cannot be made safely."""
    from PIL import Image, ImageOps

    if not attachment.is_image:
        return None
    try:
        with attachment.file.open("rb") as stored, Image.open(stored) as image:
            if image.width * image.height > max_image_pixels():
                return None
            image.draft("RGB", (PREVIEW_SIZE, PREVIEW_SIZE))  # JPEG: decode at reduced size
            image = ImageOps.exif_transpose(image)
            image.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE))
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA")
            out = io.BytesIO()
            image.save(out, format="PNG")
            return out.getvalue()
    except (Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        return None
