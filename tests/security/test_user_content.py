"""A separate origin for user content (USER_CONTENT_URL): the portal checks permission,
then sends the reader to a signed, short-lived address on the content origin, which holds
no session and serves nothing but those files."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests import factories, helpers
from tickets import services

pytestmark = pytest.mark.django_db

FILES = "files.testserver"


@pytest.fixture(autouse=True)
def _content_origin(settings):
    settings.USER_CONTENT_URL = f"http://{FILES}"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, FILES]


@pytest.fixture
def screenshot(customer):
    shot = SimpleUploadedFile("shot.png", helpers.png_bytes(40, 30), "image/png")
    ticket = services.ticket_file(
        requester=customer, subject="Screen", body="See", type="consultation", files=[shot]
    )
    return ticket.attachments.get()


def content_client() -> Client:
    return Client(HTTP_HOST=FILES)


def test_a_download_is_sent_to_the_content_origin_and_served_there(client, customer, screenshot):
    client.force_login(customer)

    redirect = client.get(f"/attachments/{screenshot.pk}/")

    assert redirect.status_code == 302
    assert redirect["Location"].startswith(f"http://{FILES}/files/")
    served = content_client().get(redirect["Location"].removeprefix(f"http://{FILES}"))
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == screenshot.file.open("rb").read()
    assert served["Content-Disposition"].startswith("attachment")
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sessionid" not in served.cookies


def test_thumbnails_come_from_there_too_and_the_pages_allow_them(client, customer, screenshot):
    client.force_login(customer)

    redirect = client.get(f"/attachments/{screenshot.pk}/?preview=1")
    served = content_client().get(redirect["Location"].removeprefix(f"http://{FILES}"))

    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["Content-Disposition"] == "inline"
    assert served["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_permission_is_checked_before_any_address_is_given(client, screenshot):
    client.force_login(factories.CustomerFactory())  # another organisation

    assert client.get(f"/attachments/{screenshot.pk}/").status_code == 404


def test_an_address_expires_and_cannot_be_forged(client, customer, screenshot, settings):
    client.force_login(customer)
    path = client.get(f"/attachments/{screenshot.pk}/")["Location"].removeprefix(f"http://{FILES}")

    later = timezone.now() + dt.timedelta(seconds=settings.USER_CONTENT_MAX_AGE + 5)
    with time_machine.travel(later):
        assert content_client().get(path).status_code == 404
    token = path.split("/")[2]
    assert content_client().get(f"/files/{token[:-2]}xx/").status_code == 404


def test_the_content_origin_serves_no_page(customer):
    for path in ("/", "/accounts/login/", "/admin/", "/tickets/", "/attachments/1/"):
        assert content_client().get(path).status_code == 404, path


def test_the_portal_origin_serves_no_signed_file(client, customer, screenshot):
    client.force_login(customer)
    path = client.get(f"/attachments/{screenshot.pk}/")["Location"].removeprefix(f"http://{FILES}")

    assert client.get(path).status_code == 404
