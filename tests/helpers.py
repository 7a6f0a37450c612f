"""Real-shaped test data and small helpers shared by the test modules."""

import re
import struct
import tempfile
import zlib
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from tickets import services
from tickets.models import Status

FIXTURES = Path(__file__).parent / "fixtures"


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A valid RGB PNG, built by hand (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def screenshot_path() -> Path:
    """tests/fixtures/screenshot.png; a generated PNG in the temp dir if it is missing."""
    for name in ("screenshot.png", "invoice-run-error.png"):
        if (FIXTURES / name).exists():
            return FIXTURES / name
    generated = Path(tempfile.gettempdir()) / "helpdesk-tests" / "screenshot.png"
    generated.parent.mkdir(parents=True, exist_ok=True)
    generated.write_bytes(png_bytes(64, 48))
    return generated


def screenshot_bytes() -> bytes:
    return screenshot_path().read_bytes()


SAMPLE_LOG = (
    "2026-11-20 10:14:03,512 INFO  [http-nio-8080-exec-4] ReportService - export started\n"
    "2026-11-20 10:14:05,107 ERROR [http-nio-8080-exec-4] ReportService - export failed\n"
    "java.lang.IllegalStateException: template 'monthly' not found\n"
    "\tat com.example.reports.TemplateStore.get(TemplateStore.java:88)\n"
)


def log_bytes() -> bytes:
    for name in ("server.log", "invoice-run-2026-10.log"):
        if (FIXTURES / name).exists():
            return (FIXTURES / name).read_bytes()
    return SAMPLE_LOG.encode()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def screenshot_upload(name: str = "screenshot.png"):
    return upload(name, screenshot_bytes(), "image/png")


def log_upload(name: str = "server.log"):
    return upload(name, log_bytes(), "text/plain")


def drive_to(ticket, state: str, *, agent, customer):
    """Move a freshly filed ticket into ``state`` through the real services."""
    if state == Status.NEW:
        return ticket
    if state == Status.REJECTED:
        services.ticket_reject(ticket=ticket, actor=agent, reason="Out of the contract's scope.")
        return ticket
    services.ticket_accept(ticket=ticket, actor=agent)
    if state == Status.IN_PROGRESS:
        return ticket
    if state == Status.WAITING_FOR_CUSTOMER:
        services.ticket_request_info(
            ticket=ticket, actor=agent, message="Which browser do you use?"
        )
        return ticket
    services.ticket_resolve(ticket=ticket, actor=agent, message="The template is restored.")
    if state == Status.RESOLVED:
        return ticket
    services.ticket_close(ticket=ticket, actor=customer)
    assert ticket.status == Status.CLOSED
    return ticket


def text(response) -> str:
    return response.content.decode()


# Executable inline scripts (a data block such as json_script's type="application/json" is
# never run, and CSP does not apply to it).
SCRIPT_BLOCK = re.compile(
    r"<script\b(?![^>]*\btype=[\"']application/json[\"'])[^>]*>(.*?)</script>",
    re.IGNORECASE | re.DOTALL,
)
JAVASCRIPT_HREF = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def script_blocks(html: str) -> list[str]:
    return SCRIPT_BLOCK.findall(html)


MESSAGE = re.compile(r'<li class="msg ([\w ]*)">(.*?)</li>', re.DOTALL)


def flash_messages(html: str) -> list[tuple[str, str]]:
    """The portal's flash messages on a page, as (level, text)."""
    return [(level.strip(), message.strip()) for level, message in MESSAGE.findall(html)]


def result_list(html: str) -> str:
    """The rows of an admin changelist only: the Urgent banner above them names tickets
    too, so a number found anywhere on the page proves nothing about the list. Empty when
    the list is (the admin then shows no table)."""
    if 'id="result_list"' not in html:
        assert 'id="changelist"' in html, "not a changelist"
        return ""
    return html.split('id="result_list"', 1)[1].split("</table>", 1)[0]
