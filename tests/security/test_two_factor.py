"""Two-factor login: staff (who can read every customer's data) set up an authenticator
app at their first login and give its code at every login, in the admin and the portal
alike; customers may turn it on for themselves. The codes are real TOTP codes computed
here from the device's key; these tests log in through the pages, never force_login."""

import re
import time

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from tests import factories
from tests.browser import admin_login
from tests.security.second_factor import totp_code, totp_code_for_key, totp_device

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/verify/"
SETUP = "/accounts/two-factor/setup/"
SETTINGS = "/accounts/two-factor/"
# django-otp's back-off after one wrong code (OTP_TOTP_THROTTLE_FACTOR seconds, doubling).
THROTTLE_AFTER_ONE_WRONG_CODE = 1.1


@pytest.fixture(autouse=True)
def _required(settings):
    settings.TWO_FACTOR_REQUIRED_FOR_STAFF = True


def password_login(user, next_url: str = "") -> Client:
    client = Client()
    response = client.post(
        LOGIN + (f"?next={next_url}" if next_url else ""),
        {"username": user.email, "password": factories.PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    return client


def key_on(page: str) -> str:
    return re.search(r"data-totp-secret>([A-Z2-7 ]+)<", page).group(1)


def recovery_codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]+)</code></li>", page)


# --- staff must -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/tickets/ticket/", "/", "/tickets/",
                                  "/admin/reports/", "/accounts/password_change/"])
def test_staff_without_an_app_reach_nothing_but_its_set_up(agent, path):
    client = password_login(agent)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(SETUP + "?next=")


def test_staff_set_up_the_app_at_first_login_and_get_recovery_codes(agent):
    client = password_login(agent, next_url="/admin/")
    setup = client.get(f"{SETUP}?next=/admin/")
    page = setup.content.decode()
    assert "<svg" in page and "Set up two-factor login" in page

    wrong = client.post(SETUP, {"code": "000000", "next": "/admin/"})
    assert wrong.status_code == 400
    assert client.get("/admin/").status_code == 302
    time.sleep(THROTTLE_AFTER_ONE_WRONG_CODE)

    done = client.post(SETUP, {"code": totp_code_for_key(key_on(page)), "next": "/admin/"})

    codes = recovery_codes_on(done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=agent).confirmed
    assert client.get("/admin/").status_code == 200


def test_staff_with_an_app_give_its_code_at_every_login(agent):
    device = totp_device(agent)
    client = password_login(agent, next_url="/admin/tickets/ticket/")

    assert client.get("/admin/")["Location"].startswith(VERIFY)
    assert client.get(SETUP)["Location"].startswith(VERIFY)  # no second app without the first
    wrong = client.post(VERIFY, {"code": "123456", "next": "/admin/"})
    assert wrong.status_code == 400
    assert "This code is wrong or has expired" in wrong.content.decode()
    time.sleep(THROTTLE_AFTER_ONE_WRONG_CODE)

    right = client.post(VERIFY, {"code": totp_code(device), "next": "/admin/tickets/ticket/"})

    assert right["Location"] == "/admin/tickets/ticket/"
    assert client.get("/admin/tickets/ticket/").status_code == 200


def test_a_code_works_once(agent):
    device = totp_device(agent)
    code = totp_code(device)
    first = password_login(agent)
    assert first.post(VERIFY, {"code": code})["Location"] == "/"

    second = password_login(agent)
    assert second.post(VERIFY, {"code": code}).status_code == 400


def test_repeated_wrong_codes_are_slowed_down(agent):
    device = totp_device(agent)
    client = password_login(agent)
    for _ in range(3):
        client.post(VERIFY, {"code": "000000"})

    # Even the right code is refused while django-otp's back-off runs.
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 400


def test_a_recovery_code_replaces_the_app_once(agent):
    client = password_login(agent)
    page = client.get(SETUP).content.decode()
    codes = recovery_codes_on(
        client.post(SETUP, {"code": totp_code_for_key(key_on(page))}).content.decode()
    )

    lost_phone = password_login(agent)
    assert lost_phone.post(VERIFY, {"code": codes[0].upper()})["Location"] == "/"
    assert lost_phone.get("/admin/").status_code == 200
    again = password_login(agent)
    assert again.post(VERIFY, {"code": codes[0]}).status_code == 400
    assert StaticToken.objects.filter(device__user=agent).count() == 9


def test_the_admin_login_page_leads_to_the_code_too(manager):
    totp_device(manager)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": manager.email, "password": factories.PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/admin/"

    assert client.get("/admin/")["Location"].startswith(VERIFY + "?next=/admin/")


def test_staff_cannot_turn_it_off(agent):
    client = Client()
    client.force_login(agent)  # verified with an app (tests/security/second_factor.py)

    client.post("/accounts/two-factor/disable/")

    assert two_factor.has_second_factor(agent)


def test_with_the_requirement_off_staff_log_in_with_the_password(agent, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_STAFF = False  # the demo
    client = password_login(agent)

    assert client.get("/admin/").status_code == 200


def test_logging_out_stays_possible_before_the_code(agent):
    totp_device(agent)
    client = password_login(agent)

    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


# --- customers may -------------------------------------------------------------------------


def test_customers_log_in_with_the_password_until_they_turn_it_on(customer):
    client = password_login(customer)
    assert client.get("/tickets/").status_code == 200
    assert "Turn on two-factor login" in client.get(SETTINGS).content.decode()

    page = client.get(SETUP).content.decode()
    client.post(SETUP, {"code": totp_code_for_key(key_on(page))})
    assert client.get("/tickets/").status_code == 200  # this session is verified

    later = password_login(customer)
    assert later.get("/tickets/")["Location"].startswith(VERIFY)
    later.post(VERIFY, {"code": totp_code(TOTPDevice.objects.get(user=customer))})
    assert later.get("/tickets/").status_code == 200


def test_customers_may_turn_it_off_again(customer):
    client = password_login(customer)
    page = client.get(SETUP).content.decode()
    client.post(SETUP, {"code": totp_code_for_key(key_on(page))})

    client.post("/accounts/two-factor/disable/")

    assert not two_factor.has_second_factor(customer)
    assert password_login(customer).get("/tickets/").status_code == 200


def test_new_recovery_codes_replace_the_old(customer):
    client = password_login(customer)
    page = client.get(SETUP).content.decode()
    enabled = client.post(SETUP, {"code": totp_code_for_key(key_on(page))})
    old = recovery_codes_on(enabled.content.decode())

    new = recovery_codes_on(client.post("/accounts/two-factor/recovery-codes/").content.decode())

    assert len(new) == 10 and not set(new) & set(old)
    assert password_login(customer).post(VERIFY, {"code": old[0]}).status_code == 400


def test_the_code_page_sends_only_to_our_own_pages(customer):
    device = totp_device(customer)
    client = password_login(customer)

    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})

    assert response["Location"] == "/"


# --- in the browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_set_up_and_use_two_factor_login_in_the_browser(
    django_db_setup, live_server, new_page, settings
):
    from playwright.sync_api import expect

    settings.TWO_FACTOR_REQUIRED_FOR_STAFF = True
    base = live_server.url
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    page = new_page("agent")

    page.goto(f"{base}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(agent.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("[type=submit]").click()
    page.wait_for_url(re.compile(r".*/accounts/two-factor/setup/\?next=/admin/$"))
    expect(page.locator("svg.segno")).to_be_visible()
    key = page.locator("[data-totp-secret]").inner_text()
    page.get_by_label("Code").fill(totp_code_for_key(key))
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(f"{base}/admin/")
    expect(page.locator("#content")).to_be_visible()

    # Next time: password, then the app's code (the helper computes it from the device).
    page.locator("#user-links-toggle").click()  # the user menu holds the log-out
    page.locator("#logout-form button").click()
    admin_login(page, base, agent)
    expect(page.locator("#content")).to_be_visible()
