"""The pages around the API: the token page in the portal, the tokens in the staff
admin, the interactive docs under the site's CSP, and the schema."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from api.models import ApiToken, TokenScope
from tests import factories
from tests.api_support import generous_rate_limits  # noqa: F401 - fixture
from tests.helpers import text

pytestmark = pytest.mark.django_db


def _shown_token(response) -> str:
    found = re.search(r'<code class="token">(hd_[\w-]+)</code>', text(response))
    assert found, "the new token is shown"
    return found.group(1)


def test_a_customer_creates_a_token_sees_it_once_and_uses_it(client, customer):
    client.force_login(customer)
    response = client.post(
        "/api-tokens/", {"name": "Monitoring", "scope": TokenScope.READ_WRITE, "expires": "30"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    raw = _shown_token(response)
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.scope) == (customer, "Monitoring", "read_write")
    assert token.expires_at is not None
    listing = client.get("/api-tokens/")
    assert "Monitoring" in text(listing) and raw not in text(listing)
    me = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me/")
    assert me.json()["email"] == customer.email


def test_a_customer_revokes_a_token_and_it_stops_working(client, customer):
    client.force_login(customer)
    raw = _shown_token(client.post("/api-tokens/", {"name": "CI", "scope": "read", "expires": ""}))
    token = ApiToken.objects.get()
    response = client.post(f"/api-tokens/{token.pk}/revoke/", follow=True)
    assert "is revoked" in text(response)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me/").status_code == 401


def test_nobody_revokes_someone_elses_token(client, customer, organisation):
    colleague = factories.CustomerFactory(organisation=organisation)
    client.force_login(colleague)
    client.post("/api-tokens/", {"name": "Mine", "scope": "read", "expires": ""})
    token = ApiToken.objects.get()
    client.force_login(customer)
    assert client.post(f"/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "Mine" not in text(client.get("/api-tokens/"))


def test_the_token_page_needs_a_login(client):
    assert client.get("/api-tokens/")["Location"].startswith("/accounts/login/")


def test_staff_create_their_token_in_the_admin(client, agent):
    client.force_login(agent)
    response = client.post(
        "/admin/api/apitoken/add/", {"name": "Reporting", "scope": "read"}, follow=True
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.user == agent
    raw = re.search(r"(hd_[\w-]+)", text(response)).group(1)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me/").json()["id"] == agent.pk


def test_the_docs_come_from_our_static_files_under_the_csp(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = text(response)
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert "'unsafe-inline'" not in script_src and "http" not in script_src
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"<script[^>]*>\s*[^<\s]", html), "no inline script"
    assert "cdn" not in html.lower()
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "/api/v1/schema/" in text(script)


def test_the_schema_is_openapi_3():
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/tickets/{number}/transitions/{name}/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_the_token_page_needs_the_second_factor_like_any_portal_page(agent):
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client()
    client.force_login(agent)
    session = client.session
    session.pop(DEVICE_ID_SESSION_KEY)
    session.save()
    assert client.get("/api-tokens/")["Location"].startswith("/accounts/two-factor/")
    client.post("/api-tokens/", {"name": "Sneaky", "scope": "read_write", "expires": ""})
    assert not ApiToken.objects.exists()


def test_the_browsable_api_takes_the_session_and_runs_no_inline_script(client, customer):
    client.force_login(customer)
    response = client.get("/api/v1/me/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = text(response)
    assert customer.email in html
    executable = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert executable == []
