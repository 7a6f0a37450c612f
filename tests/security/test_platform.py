"""Platform: the Content-Security-Policy on every page (portal and admin), the signing
key that production refuses to run without, and webhooks that stay shut, with a 403,
while they are not configured."""

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.checks import check_secret_key, secret_key_problem
from tests import factories, helpers

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parents[2]


# --- Content-Security-Policy -------------------------------------------------------------


def policy(response, header: str = "Content-Security-Policy") -> dict[str, list[str]]:
    assert header in response, f"no {header} on {response.status_code} {response.get('Location')}"
    directives = {}
    for part in response[header].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(directives: dict[str, list[str]], *, admin: bool = False) -> None:
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    scripts = directives["script-src"]
    assert "'self'" in scripts
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(scripts)
    assert all(s == "'self'" or s.startswith("'nonce-") for s in scripts)
    styles = set(directives["style-src"])
    assert styles == ({"'self'", "'unsafe-inline'"} if admin else {"'self'"})


def _paths(patterns, prefix: str = ""):
    """Every URL of the project that takes no argument (plain routes only)."""
    for pattern in patterns:
        route = str(pattern.pattern).lstrip("^").rstrip("$")
        if "<" in route or "(" in route or "\\" in route:
            continue
        if isinstance(pattern, URLResolver):
            yield from _paths(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield "/" + prefix + route


ALL_PATHS = sorted(set(_paths(get_resolver().url_patterns)))


@pytest.fixture
def people(organisation):
    customer = factories.CustomerFactory(organisation=organisation)
    return {
        "anonymous": None,
        "customer": customer,
        "representative": factories.RepresentativeFactory(organisation=organisation),
        "agent": factories.AgentFactory(),
        "manager": factories.ManagerFactory(),
        "ticket": factories.TicketFactory(requester=customer),
    }


def test_the_url_list_covers_portal_admin_and_accounts():
    for path in ("/", "/tickets/", "/admin/", "/admin/tickets/ticket/", "/accounts/login/",
                 "/admin/reports/", "/accounts/two-factor/"):
        assert path in ALL_PATHS


@pytest.mark.parametrize("who", ["anonymous", "customer", "representative", "agent", "manager"])
def test_every_page_sends_the_content_security_policy(people, who):
    client = Client(raise_request_exception=False)
    if people[who] is not None:
        client.force_login(people[who])
    ticket = people["ticket"]
    paths = [*ALL_PATHS, f"/tickets/{ticket.number}/", f"/admin/tickets/ticket/{ticket.pk}/change/",
             "/no-such-page/"]

    for path in paths:
        response = client.get(path)
        # The admin and the API's Swagger UI allow inline styles (never scripts).
        assert_strict(policy(response), admin=path.startswith(("/admin/", "/api/docs/")))


def test_error_pages_and_posts_carry_the_policy_too(customer):
    client = Client(raise_request_exception=False)
    client.force_login(customer)

    # A customer is sent to the admin login (the admin's policy).
    assert_strict(policy(client.get("/admin/")), admin=True)
    assert_strict(policy(client.post("/accounts/login/", {})))
    assert_strict(policy(client.get("/tickets/HD-1999-00001/")))  # 404


PORTAL_PAGES = ["/", "/tickets/", "/tickets/new/", "/search/?q=invoice", "/rules/",
                "/accounts/two-factor/", "/mail/settings/"]


def test_portal_pages_have_no_inline_script_or_style(customer, representative, ticket):
    for person, extra in ((customer, [f"/tickets/{ticket.number}/"]),
                          (representative, ["/accounts/colleagues/", "/accounts/colleagues/new/",
                                            "/accounts/requests/"])):
        client = Client()
        client.force_login(person)
        for path in [*PORTAL_PAGES, *extra]:
            html = client.get(path).content.decode()
            assert not [b for b in helpers.script_blocks(html) if b.strip()], path
            assert not helpers.JAVASCRIPT_HREF.search(html), path
            assert not re.search(r"<[^>]+\sstyle\s*=", html), path
            assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), path
    for path in ("/accounts/login/", "/accounts/password_reset/"):
        html = Client().get(path).content.decode()
        assert not [b for b in helpers.script_blocks(html) if b.strip()], path
        assert not re.search(r"<[^>]+\sstyle\s*=", html), path


def test_admin_pages_run_no_inline_script(agent, ticket):
    client = Client()
    client.force_login(agent)
    for path in ("/admin/", "/admin/tickets/ticket/", f"/admin/tickets/ticket/{ticket.pk}/change/",
                 "/admin/accounts/user/", "/admin/reports/"):
        html = client.get(path).content.decode()
        executable = [
            block for block in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
            if block[1].strip() and "application/json" not in block[0]
        ]
        assert not executable, path


def clean_environment() -> dict:
    """This process's environment without what the tests set for themselves."""
    left_out = ("DEBUG", "SECRET_KEY", "CSP_REPORT_ONLY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in left_out}
    env["DATABASE_URL"] = "sqlite:///:memory:"
    return env


def settings_of(**environ) -> dict:
    """The settings a fresh process reads from this environment."""
    env = clean_environment()
    env.update(environ, DJANGO_SETTINGS_MODULE="helpdesk.settings")
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'csp': bool(s.CONTENT_SECURITY_POLICY), "
        "'csp_ro': bool(getattr(s, 'CONTENT_SECURITY_POLICY_REPORT_ONLY', None)), "
        "'two_factor': s.TWO_FACTOR_REQUIRED_FOR_STAFF}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_report_only_mode_is_a_setting():
    assert settings_of() == {"csp": True, "csp_ro": False, "two_factor": True}
    assert settings_of(CSP_REPORT_ONLY="true")["csp"] is False
    assert settings_of(CSP_REPORT_ONLY="true")["csp_ro"] is True


def test_staff_two_factor_is_required_in_production_and_off_in_the_demo():
    assert settings_of(DEBUG="false")["two_factor"] is True
    assert settings_of(DEBUG="true")["two_factor"] is False


def test_report_only_mode_sends_the_same_policy_as_report_only(settings, client):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None

    response = client.get("/accounts/login/")

    assert "Content-Security-Policy" not in response
    assert_strict(policy(response, "Content-Security-Policy-Report-Only"))


# --- the signing key ---------------------------------------------------------------------

GOOD_KEY = "Xk3p_9vQ-2mZr7LwTb4yHs8NcFd1GjUe6KaOqVi0RtYnMlPxBzWoCuEgShJfDA5"


@pytest.mark.parametrize(
    "key",
    ["dev-only-insecure-key-set-SECRET_KEY-in-production-0123456789abcdef", "short-key",
     "a" * 80, "django-insecure-" + "x9" * 30],
    ids=["built-in", "short", "plain", "django-insecure"],
)
def test_a_bad_secret_key_is_an_error_with_debug_off(settings, key):
    settings.DEBUG = False
    settings.SECRET_KEY = key

    errors = check_secret_key()

    assert [e.id for e in errors] == ["accounts.E001"]


def test_an_empty_key_is_unfit():
    # Django itself refuses to run with an empty SECRET_KEY; the check says why too.
    assert secret_key_problem("") == "SECRET_KEY is empty"


def test_a_built_in_key_among_the_fallbacks_is_an_error_too(settings):
    settings.DEBUG, settings.SECRET_KEY = False, GOOD_KEY
    settings.SECRET_KEY_FALLBACKS = [settings.DEVELOPMENT_SECRET_KEY]

    assert [e.id for e in check_secret_key()] == ["accounts.E001"]


def test_a_long_random_key_passes_and_the_demo_keeps_its_development_key(settings):
    settings.DEBUG, settings.SECRET_KEY = False, GOOD_KEY
    assert check_secret_key() == []
    settings.DEBUG, settings.SECRET_KEY = True, settings.DEVELOPMENT_SECRET_KEY
    assert check_secret_key() == []


def deploy_check(**environ) -> subprocess.CompletedProcess:
    env = clean_environment()
    env.update(environ, ALLOWED_HOSTS="helpdesk.example.com")
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT, env=env, capture_output=True, text=True,
    )


def test_check_deploy_fails_without_a_secret_key_and_passes_with_a_real_one():
    missing = deploy_check(DEBUG="false")
    assert missing.returncode != 0
    assert "accounts.E001" in missing.stderr and "built-in development key" in missing.stderr

    real = deploy_check(DEBUG="false", SECRET_KEY=GOOD_KEY)
    assert real.returncode == 0, real.stderr


# --- webhooks ----------------------------------------------------------------------------

WEBHOOKS = ["/mail/anymail/postmark/tracking/", "/mail/anymail/mailgun/tracking/",
            "/mail/in/mailgun/inbound_mime/", "/mail/in/mailgun/inbound/"]


UNCONFIGURED = {
    "nothing": {},
    "secret only": {"WEBHOOK_SECRET": "hook:s3cret-Passw0rd"},
    "signing key only": {"MAILGUN_WEBHOOK_SIGNING_KEY": "key-1"},
}
# Postmark needs nothing but the secret: with it, its webhook is configured.
CASES = [
    (url, name) for url in WEBHOOKS for name in UNCONFIGURED
    if not ("postmark" in url and name == "secret only")
]


@pytest.mark.parametrize(("url", "unconfigured"), CASES)
@pytest.mark.parametrize("debug", [False, True], ids=["production", "demo"])
def test_an_unconfigured_webhook_answers_403_never_500_nor_a_debug_page(
    settings, url, unconfigured, debug
):
    anymail = UNCONFIGURED[unconfigured]
    settings.DEBUG = debug
    settings.ANYMAIL = anymail
    client = Client(raise_request_exception=False)

    auth = "Basic " + base64.b64encode(b"hook:s3cret-Passw0rd").decode()

    response = client.post(url, {"anything": "1"}, HTTP_AUTHORIZATION=auth)

    assert response.status_code == 403
    assert b"not configured" in response.content
    assert b"Traceback" not in response.content
