"""Schemathesis against the API (called in-process through the WSGI app, real
PostgreSQL), with a token per role: no 5xx, and every answer as the schema describes it
(status code, content type, headers, body). Examples are bounded to keep the suite fast."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories, helpers
from tests.api_support import generous_rate_limits, token_for  # noqa: F401 - fixture
from tickets import services
from tickets.models import Status

# Loaded at collection, before the fixture that lifts the rate limits.
with override_settings(API_THROTTLE_RATES={"caller": "100000/min", "address": "100000/min"}):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
# The coverage phase ignores max_examples and would take minutes: fuzzing only, bounded.
schema.config.phases.coverage.enabled = False
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI app closes the database connection after each request (as in production);
    in a test it is the test's transaction, so keep it open, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(organisation, customer, representative, outsider, agent, manager):
    ticket = factories.TicketFactory(requester=customer, files=[helpers.screenshot_upload()])
    helpers.drive_to(ticket, Status.IN_PROGRESS, agent=agent, customer=customer)
    services.comment_add(ticket=ticket, author=agent, body="A note", internal=True)
    return {
        "number": ticket.number,
        "id": ticket.attachments.get().pk,
        "tokens": [None] + [token_for(person) for person in
                            (outsider, customer, representative, agent, manager)],
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_to_its_schema_for_every_role(case, world):
    # Point the path at real things, so the operations do more than answer 404.
    for name in ("number", "id"):
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = world[name]
    for token in world["tokens"]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
