"""Errors to Sentry when ``SENTRY_DSN`` is set, without personal data.

``send_default_pii=False`` keeps out cookies, the user's address and name; ``scrub``
removes what could still carry them (headers, request bodies, e-mail addresses in
messages) and adds our log context (request id, ticket, task) as tags."""

import re

from core import logcontext

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
DROPPED_HEADERS = {"authorization", "cookie", "x-forwarded-for", "x-real-ip", "from"}


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        max_request_body_size="never",
        before_send=scrub,
    )


def _clean(text):
    return EMAIL.sub("[email]", text) if isinstance(text, str) else text


def scrub(event: dict, hint: dict | None = None) -> dict:
    request = event.get("request") or {}
    request.pop("cookies", None)
    request.pop("data", None)
    request.pop("query_string", None)
    headers = request.get("headers") or {}
    for name in list(headers):
        if name.lower() in DROPPED_HEADERS:
            del headers[name]
    user = event.get("user") or {}
    event["user"] = {"id": user["id"]} if "id" in user else {}
    if "message" in event:
        event["message"] = _clean(event["message"])
    logentry = event.get("logentry") or {}
    if "message" in logentry:
        logentry["message"] = _clean(logentry["message"])
    logentry.pop("params", None)
    for exception in (event.get("exception") or {}).get("values", []):
        exception["value"] = _clean(exception.get("value"))
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)  # local variables hold addresses, bodies, tokens
    tags = event.setdefault("tags", {})
    for name, value in logcontext.current().items():
        tags.setdefault(name, value)
    return event
