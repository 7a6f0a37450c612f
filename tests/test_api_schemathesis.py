"""Schemathesis against the API (called in-process through the WSGI app, real
PostgreSQL), with a token per role: no 5xx, and every answer as the schema describes it
(status code, content type, headers, body). Examples are bounded to keep the suite fast."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from billing import services as billing
from billing import statements
from tests import factories, helpers
from tests.api_support import generous_rate_limits, token_for  # noqa: F401 - fixture
from tests.billing.conftest import msk
from tests.billing.scenarios import log
from tickets import services
from tickets.models import Status
from webhooks import services as webhooks
from webhooks.models import Delivery, DeliveryStatus

MSK = ZoneInfo("Europe/Moscow")

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


class World:
    """A real object behind every detail operation, so that they answer 200 to the roles
    allowed, not only 404: the ticket and its file, a colleague of the representative, and,
    made the first time an operation of their kind asks (the fuzzing runs one operation
    per test), a webhook subscription with a failed delivery, a statement and an
    out-of-hours request."""

    def __init__(self, people: dict, settings):
        self.people, self.settings = people, settings
        customer, agent = people["customer"], people["agent"]
        self.ticket = factories.TicketFactory(
            requester=customer, files=[helpers.screenshot_upload()]
        )
        helpers.drive_to(self.ticket, Status.IN_PROGRESS, agent=agent, customer=customer)
        services.comment_add(ticket=self.ticket, author=agent, body="A note", internal=True)
        self.number = self.ticket.number
        self.ids = {
            "/api/v1/attachments/": self.ticket.attachments.get().pk,
            "/api/v1/people/": customer.pk,
        }
        self.makers = {
            "/api/v1/webhooks/": self._subscription,
            "/api/v1/statements/": self._statement,
            "/api/v1/out-of-hours/": self._out_of_hours,
        }
        self.delivery = None
        self.tokens = [None] + [token_for(people[role]) for role in ROLES]

    def id_for(self, path: str):
        for prefix in (*self.ids, *self.makers):
            if path.startswith(prefix):
                if prefix not in self.ids:
                    self.ids[prefix] = self.makers[prefix]()
                return self.ids[prefix]
        return None

    def _subscription(self):
        self.settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # a loopback target: no DNS
        subscription, _secret = webhooks.subscription_create(
            user=self.people["representative"], target_url="http://127.0.0.1:9/hook",
            events=["ticket.created", "ticket.status_changed"],
        )
        services.ticket_resolve(ticket=self.ticket, actor=self.people["agent"])  # an event
        self.delivery = Delivery.objects.get(subscription=subscription)
        Delivery.objects.filter(pk=self.delivery.pk).update(status=DeliveryStatus.FAILED)
        return subscription.pk

    def _statement(self):
        log(self.ticket, self.people["agent"], msk(2026, 11, 27, 18), 2)
        return statements.statement_generate(
            organisation=self.ticket.organisation, month=datetime.date(2026, 11, 1)
        ).pk

    def _out_of_hours(self):
        start = datetime.datetime.combine(
            timezone.localdate() + datetime.timedelta(days=1), datetime.time(20), MSK
        )
        return billing.ooh_request_create(
            ticket=self.ticket, actor=self.people["customer"], start=start,
            end=start + datetime.timedelta(hours=2), reason="The month-end run cannot wait.",
        ).pk


ROLES = ("outsider", "customer", "representative", "agent", "manager")


@pytest.fixture
def world(organisation, customer, representative, outsider, agent, manager, settings):
    people = {"outsider": outsider, "customer": customer, "representative": representative,
              "agent": agent, "manager": manager}
    return World(people, settings)


def point_at_the_world(case, world: World) -> None:
    """Put the real objects' numbers and ids in the case's path."""
    parameters = case.path_parameters or {}
    if "number" in parameters:
        parameters["number"] = world.number
    if "id" in parameters and (pk := world.id_for(case.path)) is not None:
        parameters["id"] = pk
    if "delivery" in parameters and world.delivery is not None:
        parameters["delivery"] = world.delivery.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "/api/v1/webhooks/{id}/", "representative"),
        ("GET", "/api/v1/webhooks/{id}/", "manager"),
        ("GET", "/api/v1/webhooks/{id}/deliveries/", "representative"),
        ("POST", "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver/", "representative"),
        ("GET", "/api/v1/statements/{id}/", "representative"),
        ("POST", "/api/v1/people/{id}/deactivation-request/", "representative"),
        ("POST", "/api/v1/out-of-hours/{id}/approve/", "representative"),
        ("GET", "/api/v1/attachments/{id}/download/", "customer"),
    ],
)
def test_the_world_gives_the_detail_operations_something_to_answer(world, method, path, role):
    """What the fuzzing below relies on: the world's objects answer 2xx where allowed."""
    body = {"body": {}, "media_type": "application/json"} if method == "POST" else {}
    case = schema[path][method].Case(path_parameters={"id": 0, "delivery": "x"}, **body)
    point_at_the_world(case, world)
    token = world.tokens[ROLES.index(role) + 1]
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert 200 <= response.status_code < 300, (path, role, response.status_code, response.text)


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
    point_at_the_world(case, world)
    for token in world.tokens:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
