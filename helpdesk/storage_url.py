"""``STORAGE_URL``: where attachments and raw inbound mail live, as one URL.

``s3://KEY:SECRET@host:9000/bucket/prefix?secure=false&region=us-east-1`` is an
S3-compatible store (MinIO, Ceph, …) at that address; ``s3://bucket/prefix`` is AWS
S3 with credentials from the environment (``AWS_ACCESS_KEY_ID`` … or an instance role).
Empty: files under ``MEDIA_ROOT``. Read by settings.py (django-storages' S3 backend)."""

from urllib.parse import parse_qs, unquote, urlsplit


def storages_from_url(url: str) -> dict | None:
    """The ``STORAGES["default"]`` entry for ``url``, or None for local files."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError(f"STORAGE_URL: only s3:// is supported, not {parts.scheme}://")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    path = parts.path.strip("/").split("/", 1) if parts.path.strip("/") else []
    options = {
        "default_acl": None,  # private objects; the bucket stays private
        "file_overwrite": False,
        # No public URLs: the download view streams; a URL, if ever made, is signed
        # and short-lived.
        "querystring_auth": True,
        "querystring_expire": 60,
        "region_name": query.get("region") or None,
        "signature_version": "s3v4",
    }
    if parts.username:  # an endpoint of its own: host is the server, path the bucket
        scheme = "http" if query.get("secure", "true").lower() == "false" else "https"
        options.update(
            endpoint_url=f"{scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else ""),
            access_key=unquote(parts.username),
            secret_key=unquote(parts.password or ""),
            addressing_style="path",
        )
        bucket, location = (path + ["", ""])[:2]
    else:  # AWS: the host is the bucket
        bucket, location = parts.hostname, "/".join(path)
    if not bucket:
        raise ValueError("STORAGE_URL names no bucket")
    options.update(bucket_name=bucket, location=location)
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
