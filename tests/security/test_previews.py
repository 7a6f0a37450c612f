"""Safe previews: images are checked from their header, bombs refused, and what is shown
inline is a thumbnail re-encoded here."""

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories, helpers
from tickets import services
from tickets.models import Attachment

pytestmark = pytest.mark.django_db


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG file whose header claims this size (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def test_an_image_claiming_50000_by_50000_pixels_is_refused_with_the_reason(customer):
    bomb = SimpleUploadedFile("screenshot.png", png_claiming(50_000, 50_000), "image/png")
    with pytest.raises(ValidationError) as refused:
        services.ticket_file(
            requester=customer, subject="Screen", body="See", type="consultation", files=[bomb]
        )
    assert "megapixels" in " ".join(refused.value.messages)
    assert not Attachment.objects.exists()


def test_an_image_over_the_cap_that_pillow_would_open_is_refused_too(customer, settings):
    settings.ATTACHMENT_IMAGE_MAX_MEGAPIXELS = 1
    big = SimpleUploadedFile("screenshot.png", png_claiming(2000, 1000), "image/png")
    with pytest.raises(ValidationError) as refused:
        services.ticket_file(
            requester=customer, subject="Screen", body="See", type="consultation", files=[big]
        )
    assert "2000×1000 pixels" in " ".join(refused.value.messages)


def test_a_picture_that_is_not_an_image_inside_is_refused(customer):
    broken = SimpleUploadedFile("screenshot.png", b"\x89PNG\r\n\x1a\n" + b"x" * 200, "image/png")
    with pytest.raises(ValidationError):
        services.ticket_file(
            requester=customer, subject="Screen", body="See", type="consultation", files=[broken]
        )


def test_a_normal_screenshot_is_kept_and_previewed_as_a_thumbnail(client, customer):
    shot = SimpleUploadedFile("shot.png", helpers.png_bytes(3000, 20), "image/png")
    ticket = services.ticket_file(
        requester=customer, subject="Screen", body="See", type="consultation", files=[shot]
    )
    attachment = ticket.attachments.get()
    client.force_login(customer)
    response = client.get(f"/attachments/{attachment.pk}/?preview=1")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(response.content)) as preview:
        assert max(preview.size) == 1280  # scaled down, never the original bytes


def test_a_log_file_is_never_previewed(client, customer):
    log = SimpleUploadedFile("server.log", helpers.log_bytes(), "text/plain")
    ticket = factories.TicketFactory(requester=customer, files=[log])
    client.force_login(customer)
    response = client.get(f"/attachments/{ticket.attachments.get().pk}/?preview=1")
    assert response["Content-Disposition"].startswith("attachment")
