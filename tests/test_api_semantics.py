"""What an integrator relies on: problem+json, idempotent POSTs, If-Match, rate limits,
token scope, expiry and revocation, and the second factor of staff sessions."""

import datetime

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from api.models import ApiToken
from api.tokens import api_token_revoke
from notifications.models import Notification
from tests import factories
from tests.api_support import client_for, generous_rate_limits, token_for  # noqa: F401
from tickets import services
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db

NEW_TICKET = {"subject": "Payroll export fails", "body": "Since 9:00.", "type": "incident"}


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert {"type", "title", "status", "detail", "code"} <= problem.keys()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"].endswith(code)
    return problem


# --- problem+json ------------------------------------------------------------------


def test_an_unknown_ticket_is_a_problem_in_the_callers_language(customer):
    client = client_for(customer)
    english = _problem(client.get("/api/v1/tickets/HD-1999-00001/"), 404, "not_found")
    russian = _problem(
        client.get("/api/v1/tickets/HD-1999-00001/", HTTP_ACCEPT_LANGUAGE="ru"), 404, "not_found"
    )
    assert english["detail"] != russian["detail"]
    assert english["instance"] == "/api/v1/tickets/HD-1999-00001/"


def test_validation_errors_name_the_fields(customer):
    response = client_for(customer).post(
        "/api/v1/tickets/", {"subject": "x" * 201, "type": "nonsense"},
        content_type="application/json",
    )
    problem = _problem(response, 400, "invalid")
    assert {e["field"] for e in problem["errors"]} == {"subject", "body", "type"}


def test_a_refused_rule_is_409_with_its_reason(customer, ticket):
    response = client_for(customer).post(f"/api/v1/tickets/{ticket.number}/transitions/close/")
    problem = _problem(response, 409, "not_allowed")
    assert "cannot be changed that way" in problem["detail"]


def test_anonymous_is_401_with_the_bearer_challenge():
    response = Client().get("/api/v1/tickets/")
    _problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


# --- Idempotency-Key ---------------------------------------------------------------


def test_a_retried_post_files_one_ticket_and_one_set_of_mails(
    customer, django_capture_on_commit_callbacks
):
    client = client_for(customer)
    headers = {"HTTP_IDEMPOTENCY_KEY": "monitoring-alert-4711"}
    with django_capture_on_commit_callbacks():
        first = client.post("/api/v1/tickets/", NEW_TICKET, content_type="application/json",
                            **headers)
    mails = Notification.objects.count()
    assert first.status_code == 201 and mails > 0
    with django_capture_on_commit_callbacks() as callbacks:
        again = client.post("/api/v1/tickets/", NEW_TICKET, content_type="application/json",
                            **headers)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert again["Location"] == first["Location"]
    assert Ticket.objects.count() == 1
    assert Notification.objects.count() == mails
    assert callbacks == []  # nothing new to send


def test_the_same_key_with_another_body_is_422(customer):
    client = client_for(customer)
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    client.post("/api/v1/tickets/", NEW_TICKET, content_type="application/json", **headers)
    other = {**NEW_TICKET, "subject": "Something else"}
    response = client.post("/api/v1/tickets/", other, content_type="application/json", **headers)
    _problem(response, 422, "idempotency_key_reused")
    assert Ticket.objects.count() == 1


def test_a_refused_post_leaves_its_key_free(customer, ticket):
    client = client_for(customer)
    url = f"/api/v1/tickets/{ticket.number}/transitions/close/"
    assert client.post(url, HTTP_IDEMPOTENCY_KEY="close-1").status_code == 409
    assert client.post(url, HTTP_IDEMPOTENCY_KEY="close-1").status_code == 409


def test_keys_are_per_person(customer, organisation):
    colleague = factories.CustomerFactory(organisation=organisation)
    for person in (customer, colleague):
        client_for(person).post("/api/v1/tickets/", NEW_TICKET, content_type="application/json",
                                HTTP_IDEMPOTENCY_KEY="same")
    assert Ticket.objects.count() == 2


def test_a_key_is_forgotten_after_a_day(customer, time_machine):
    client = client_for(customer)
    client.post("/api/v1/tickets/", NEW_TICKET, content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="daily")
    time_machine.move_to(datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=25))
    client.post("/api/v1/tickets/", NEW_TICKET, content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="daily")
    assert Ticket.objects.count() == 2


# --- ETag and If-Match -------------------------------------------------------------


def test_a_stale_if_match_is_412_and_changes_nothing(ticket, agent, customer):
    client = client_for(customer)
    etag = client.get(f"/api/v1/tickets/{ticket.number}/")["ETag"]
    services.ticket_accept(ticket=ticket, actor=agent)
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/comments/", {"body": "Any news?"},
        content_type="application/json", HTTP_IF_MATCH=etag,
    )
    _problem(response, 412, "stale")
    assert not ticket.comments.exists()
    fresh = client.get(f"/api/v1/tickets/{ticket.number}/")["ETag"]
    assert fresh != etag
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/comments/", {"body": "Any news?"},
        content_type="application/json", HTTP_IF_MATCH=fresh,
    )
    assert response.status_code == 201
    assert response["ETag"] != fresh


def test_a_transition_with_a_stale_if_match_is_412(ticket, agent):
    client = client_for(agent)
    etag = client.get(f"/api/v1/tickets/{ticket.number}/")["ETag"]
    services.ticket_reject(ticket=ticket, actor=factories.AgentFactory(), reason="Out of scope.")
    response = client.post(f"/api/v1/tickets/{ticket.number}/transitions/accept/",
                           HTTP_IF_MATCH=etag)
    _problem(response, 412, "stale")
    ticket.refresh_from_db()
    assert ticket.status == Status.REJECTED


# --- rate limits -------------------------------------------------------------------


def test_past_the_rate_limit_is_429_with_retry_after(customer, settings):
    settings.API_THROTTLE_RATES = {"caller": "2/min", "address": "100000/min"}
    client = client_for(customer)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/")
    _problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert client_for(customer).get("/api/v1/me/").status_code == 200  # per token


def test_rate_limits_fail_open_when_the_cache_is_down(customer, settings, caplog):
    settings.API_THROTTLE_RATES = {"caller": "1/min", "address": "1/min"}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    client = client_for(customer)
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    assert "cache is unavailable" in caplog.text


# --- tokens ------------------------------------------------------------------------


def test_a_token_is_stored_only_as_a_hash_and_records_its_use(customer):
    raw = token_for(customer, "read")
    token = ApiToken.objects.get()
    assert raw not in {token.key_hash, token.prefix} and raw.startswith(token.prefix)
    assert token.last_used_at is None
    me = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me/").json()
    assert me["id"] == customer.pk and me["token_scope"] == "read"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_read_token_reads_but_does_not_write(customer, ticket):
    client = client_for(customer, "read")
    assert client.get(f"/api/v1/tickets/{ticket.number}/").status_code == 200
    response = client.post(f"/api/v1/tickets/{ticket.number}/comments/", {"body": "Hello"},
                           content_type="application/json")
    _problem(response, 403, "token_read_only")
    assert not ticket.comments.exists()


def test_an_expired_token_is_refused(customer, time_machine):
    expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(customer, expires_at=expiry)}")
    assert client.get("/api/v1/me/").status_code == 200
    time_machine.move_to(expiry + datetime.timedelta(seconds=1))
    _problem(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_a_revoked_token_is_refused_at_once(customer):
    raw = token_for(customer)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").status_code == 200
    api_token_revoke(token=ApiToken.objects.get(), actor=customer)
    _problem(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_the_token_of_a_deactivated_person_is_refused(customer):
    client = client_for(customer)
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    _problem(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_a_made_up_token_is_refused():
    response = Client(HTTP_AUTHORIZATION="Bearer hd_not-a-real-token").get("/api/v1/me/")
    _problem(response, 401, "authentication_failed")


# --- sessions and the second factor ------------------------------------------------


def test_a_staff_session_without_its_second_factor_gets_no_api(agent, ticket):
    client = Client()
    client.force_login(agent)
    session = client.session
    session.pop(DEVICE_ID_SESSION_KEY)
    session.save()
    response = client.get(f"/api/v1/tickets/{ticket.number}/")
    _problem(response, 401, "not_authenticated")  # no redirect to the code page
    assert client.get("/tickets/")["Location"].startswith("/accounts/two-factor/")


def test_a_staff_token_is_never_sent_to_the_second_factor_page(agent, ticket):
    response = client_for(agent).get(f"/api/v1/tickets/{ticket.number}/")
    assert response.status_code == 200


def test_a_session_post_needs_the_csrf_token(customer, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    assert client.get(f"/api/v1/tickets/{ticket.number}/").status_code == 200
    response = client.post(f"/api/v1/tickets/{ticket.number}/comments/", {"body": "Hi"},
                           content_type="application/json")
    _problem(response, 403, "permission_denied")
    assert not ticket.comments.exists()
