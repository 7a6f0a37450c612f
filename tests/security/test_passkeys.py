"""Passkeys (WebAuthn) as the second factor: staff may set one up instead of an app, and
anyone with one gives it at login; never a login without the password. The browser test
uses Chromium's virtual authenticator (the DevTools WebAuthn domain): a real ceremony,
real signatures checked by the server."""

import json
import re

import pytest
from django.test import Client
from django_otp_webauthn.models import WebAuthnCredential

from accounts import two_factor
from tests import factories
from tests.security.second_factor import totp_device
from tests.security.test_two_factor import SETTINGS, VERIFY, password_login

pytestmark = pytest.mark.django_db

BEGIN_AUTH = "/accounts/passkeys/authentication/begin/"
BEGIN_REGISTER = "/accounts/passkeys/registration/begin/"


@pytest.fixture(autouse=True)
def _required(settings):
    settings.TWO_FACTOR_REQUIRED_FOR_STAFF = True


def passkey(user, name="Security key") -> WebAuthnCredential:
    """A stored passkey (the key material is not used by these tests)."""
    return WebAuthnCredential.objects.create(
        user=user, name=name, confirmed=True, credential_id=b"id-" + name.encode(),
        public_key=b"key", sign_count=0,
    )


def test_a_passkey_counts_as_the_second_factor(customer):
    passkey(customer)
    client = password_login(customer)

    response = client.get("/tickets/")

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    page = client.get(VERIFY).content.decode()
    assert 'id="passkey-verification-placeholder"' in page
    assert "otp_webauthn_auth.js" in page


def test_there_is_no_login_by_passkey_without_the_password():
    response = Client().post(BEGIN_AUTH, content_type="application/json")

    assert response.status_code in (401, 403)
    assert json.loads(response.content)["code"] == "not_authenticated"


def test_a_password_only_session_cannot_add_a_passkey_to_skip_the_second_step(agent):
    totp_device(agent)
    client = password_login(agent)

    response = client.post(BEGIN_REGISTER, content_type="application/json")

    assert response.status_code == 403
    assert not WebAuthnCredential.objects.filter(user=agent).exists()


def test_staff_keep_one_device_when_removing_passkeys(agent):
    key = passkey(agent)
    client = Client()
    client.force_login(agent)  # verified with an app (tests/security/second_factor.py)

    TOTPDeviceQ = type(totp_device(agent)).objects
    TOTPDeviceQ.filter(user=agent).delete()
    client.post(f"/accounts/two-factor/passkeys/{key.pk}/remove/")
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists(), "the only device stays"

    totp_device(agent)
    response = client.post(f"/accounts/two-factor/passkeys/{key.pk}/remove/", follow=True)
    assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()
    assert "The passkey is removed." in response.content.decode()


def test_nobody_removes_someone_elses_passkey(customer):
    other = factories.CustomerFactory(organisation=customer.organisation)
    key = passkey(other)
    client = Client()
    client.force_login(customer)

    client.post(f"/accounts/two-factor/passkeys/{key.pk}/remove/")

    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_turning_two_factor_off_removes_the_passkeys_too(customer):
    passkey(customer)
    client = Client()
    client.force_login(customer)
    session = client.session
    session["otp_device_id"] = "x"  # a verified session (the note django_otp.login() makes)
    session[two_factor.SESSION_KEY] = True
    session.save()

    client.post("/accounts/two-factor/disable/")

    assert not WebAuthnCredential.objects.filter(user=customer).exists()
    assert "Turn on two-factor login" in client.get(SETTINGS).content.decode()


# --- in the browser ------------------------------------------------------------------------


def virtual_authenticator(page) -> None:
    """Chromium's virtual authenticator: a platform passkey that says yes at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_set_up_a_passkey_at_first_login_and_log_in_with_it(
    django_db_setup, live_server, new_page, settings
):
    from playwright.sync_api import expect

    base = live_server.url
    settings.SITE_URL = base
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [base]
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    page = new_page("agent")
    virtual_authenticator(page)

    page.goto(f"{base}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(agent.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("[type=submit]").click()
    page.wait_for_url(re.compile(r".*/accounts/two-factor/setup/\?next=/admin/$"))
    page.get_by_role("button", name="Set up a passkey").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(f"{base}/admin/")
    assert WebAuthnCredential.objects.filter(user=agent, confirmed=True).count() == 1

    # Next time: the password, then the passkey instead of a code.
    page.locator("#user-links-toggle").click()  # the user menu holds the log-out
    page.locator("#logout-form button").click()
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(agent.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("[type=submit]").click()
    page.wait_for_url(re.compile(r".*/accounts/two-factor/verify/.*"))
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{base}/admin/")
    expect(page.locator("#content")).to_be_visible()
    assert WebAuthnCredential.objects.get(user=agent).last_used_at is not None
