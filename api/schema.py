"""The OpenAPI description: the token scheme, and the problem+json answers every
operation may give (documented once, added to each operation)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from api.errors import PROBLEM_CONTENT_TYPE


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(_("A personal API token: `Authorization: Bearer hd_…`.")),
        }


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable and machine-readable."},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
                "required": ["field", "message", "code"],
            },
        },
        "follow_up": {
            "type": "object",
            "description": "For a refused reopen: the call that files the follow-up ticket.",
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
}
PROBLEMS = {
    "400": "The request is not valid; `errors` names the fields.",
    "401": "No valid token or session.",
    "403": "Not allowed to you (or a read-only token writing).",
    "404": "No such thing that you may see.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Refused by a rule of the helpdesk; `detail` says why.",
    "412": "The ticket changed since the If-Match ETag.",
    "415": "Unsupported media type.",
    "422": "The Idempotency-Key was used with another request.",
    "429": "Too many requests; see Retry-After.",
}


def add_problems(result, generator, request, public):
    """Postprocessing hook: every operation may answer with these problems."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, description in PROBLEMS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": reference}},
                        **(
                            {"headers": {"Retry-After": {"schema": {"type": "integer"}}}}
                            if code == "429"
                            else {}
                        ),
                    },
                )
    return result


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
