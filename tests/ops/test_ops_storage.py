"""Attachments on S3-compatible object storage, against a real S3 server over HTTP.

The server is moto's (``moto_server``, from PyPI): a separate process speaking the S3
protocol on a local port; django-storages and boto3 talk to it as to MinIO or AWS."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from helpdesk.storage_url import storages_from_url
from tests import factories, helpers

BUCKET = "helpdesk-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = free_port()
    command = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    process = subprocess.Popen(
        [command, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the S3 server did not start")
                time.sleep(0.2)
        yield url, port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def on_s3(s3_server, settings):
    url, port = s3_server
    client = boto3.client(
        "s3", endpoint_url=url, aws_access_key_id="test-key",
        aws_secret_access_key="test-secret", region_name="us-east-1",
    )
    if BUCKET not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storages_from_url(
            f"s3://test-key:test-secret@127.0.0.1:{port}/{BUCKET}/media"
            "?secure=false&region=us-east-1"
        ),
    }
    return client


def objects(client) -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix="media/").get("Contents", [])
    return {
        o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing
    }


def test_attachments_upload_to_the_bucket_and_download_only_for_those_who_may(
    on_s3, client, customer, outsider, agent
):
    log = helpers.log_bytes()
    ticket = factories.TicketFactory(requester=customer, files=[helpers.log_upload("server.log")])
    attachment = ticket.attachments.get()
    stored = objects(on_s3)
    assert f"media/{attachment.file.name}" in stored
    assert stored[f"media/{attachment.file.name}"] == log

    client.force_login(customer)
    response = client.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == log
    assert response["Content-Disposition"].startswith('attachment; filename="server.log"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"

    client.force_login(outsider)
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 404
    client.force_login(agent)
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 200


def test_an_image_preview_is_made_from_the_stored_object(on_s3, client, customer):
    ticket = factories.TicketFactory(
        requester=customer, files=[helpers.screenshot_upload("screenshot.png")]
    )
    client.force_login(customer)
    response = client.get(f"/attachments/{ticket.attachments.get().pk}/?preview=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_the_storage_url_forms():
    minio = storages_from_url("s3://k:s%2Fx@minio:9000/files/media?secure=false")["OPTIONS"]
    assert minio["endpoint_url"] == "http://minio:9000"
    assert (minio["bucket_name"], minio["location"], minio["secret_key"]) == (
        "files", "media", "s/x"
    )
    aws = storages_from_url("s3://files/media?region=eu-central-1")["OPTIONS"]
    assert "endpoint_url" not in aws and aws["bucket_name"] == "files"
    assert aws["region_name"] == "eu-central-1"
    assert storages_from_url("") is None
    with pytest.raises(ValueError):
        storages_from_url("ftp://files")


def test_the_set_up_command_creates_the_bucket_once(s3_server, settings):
    from django.core.management import call_command

    url, port = s3_server
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storages_from_url(
            f"s3://test-key:test-secret@127.0.0.1:{port}/fresh-bucket?secure=false&region=us-east-1"
        ),
    }
    call_command("storage_bucket")
    client = boto3.client(
        "s3", endpoint_url=url, aws_access_key_id="k", aws_secret_access_key="s",
        region_name="us-east-1",
    )
    assert "fresh-bucket" in [b["Name"] for b in client.list_buckets()["Buckets"]]
    call_command("storage_bucket")  # again: nothing happens
