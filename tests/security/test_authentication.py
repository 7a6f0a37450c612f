"""Authentication: password-reset throttling (no enumeration, no mail storm), lockout of
the account rather than of everybody behind one address, and the client address taken
from X-Forwarded-For only behind our own proxy."""

import pytest
from django.core import mail
from django.test import Client, RequestFactory

from accounts.security import client_ip
from tests import factories

pytestmark = pytest.mark.django_db

RESET = "/accounts/password_reset/"
DONE = "/accounts/password_reset/done/"
LOGIN = "/accounts/login/"
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.PASSWORD_RESET_PER_ADDRESS_HOURLY = 3
    settings.PASSWORD_RESET_PER_IP_HOURLY = 20
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_IP_ACCOUNTS_LIMIT = 10
    settings.TRUSTED_PROXIES = []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def reset(client, email, **extra):
    return client.post(RESET, {"email": email}, **extra)


def fail_login(client, email, **extra):
    return client.post(LOGIN, {"username": email, "password": "wrong-password"}, **extra)


def login(client, user, **extra):
    return client.post(
        LOGIN, {"username": user.email, "password": factories.PASSWORD}, **extra
    )


# --- password reset ----------------------------------------------------------------------


def test_password_reset_sends_three_mails_an_hour_to_one_address_and_then_none(customer):
    client = Client()
    answers = [reset(client, customer.email) for _ in range(30)]

    assert len(mail.outbox) == 3
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, DONE)}


def test_password_reset_says_the_same_for_unknown_throttled_and_real_addresses(customer):
    unknown = reset(Client(), "nobody@nowhere.example")
    real = reset(Client(), customer.email)
    for _ in range(5):
        throttled = reset(Client(), customer.email)

    assert unknown.status_code == real.status_code == throttled.status_code == 302
    assert unknown["Location"] == real["Location"] == throttled["Location"] == DONE
    page = Client().get(DONE).content.decode()
    assert "If an account exists for that address, a link to set a new password" in page


def test_password_reset_counts_the_address_whatever_its_letter_case(customer):
    for email in (customer.email, customer.email.upper(), customer.email.title(), customer.email):
        reset(Client(), email)

    assert len(mail.outbox) == 3


def test_password_reset_is_throttled_per_client_address_across_many_addresses(settings):
    people = factories.CustomerFactory.create_batch(25)
    client = Client(REMOTE_ADDR="198.51.100.7")

    for person in people:
        reset(client, person.email)

    assert len(mail.outbox) == settings.PASSWORD_RESET_PER_IP_HOURLY
    # Another client is not held up by this one.
    reset(Client(REMOTE_ADDR="198.51.100.8"), people[-1].email)
    assert len(mail.outbox) == settings.PASSWORD_RESET_PER_IP_HOURLY + 1


def test_password_reset_throttle_holds_with_redis_down(customer, settings):
    # Nothing listens on port 1: any use of the cache would fail the request.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    client = Client(raise_request_exception=True)
    for _ in range(6):
        assert reset(client, customer.email).status_code == 302

    assert len(mail.outbox) == 3


# --- lockout -----------------------------------------------------------------------------


def test_five_failures_lock_the_account_from_any_address(customer):
    for _ in range(5):
        fail_login(Client(REMOTE_ADDR="198.51.100.7"), customer.email)

    from_elsewhere = login(Client(REMOTE_ADDR="203.0.113.9"), customer)

    assert from_elsewhere.status_code == 429
    assert "Too many failed attempts" in from_elsewhere.content.decode()


def test_one_accounts_failures_do_not_lock_out_the_others_at_that_address(customer, organisation):
    colleague = factories.CustomerFactory(organisation=organisation)
    for _ in range(6):
        fail_login(Client(REMOTE_ADDR="198.51.100.7"), customer.email)

    response = login(Client(REMOTE_ADDR="198.51.100.7"), colleague)

    assert response.status_code == 302 and response["Location"] == "/"


def test_an_address_that_fails_on_many_accounts_is_locked_out(customer):
    spraying = Client(REMOTE_ADDR="198.51.100.66")
    for number in range(10):
        fail_login(spraying, f"guess{number}@customer.example")

    response = login(spraying, customer)

    assert response.status_code == 429
    # The accounts themselves stay open from elsewhere.
    assert login(Client(REMOTE_ADDR="198.51.100.67"), customer).status_code == 302


def test_behind_the_trusted_proxy_one_accounts_failures_lock_only_that_account(
    customer, organisation, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    colleague = factories.CustomerFactory(organisation=organisation)
    for _ in range(6):
        fail_login(
            Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7"), customer.email
        )

    through_proxy = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert login(through_proxy, colleague).status_code == 302
    elsewhere = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert login(elsewhere, customer).status_code == 429


def test_behind_the_trusted_proxy_spraying_locks_the_client_not_the_proxy(customer, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    for number in range(10):
        fail_login(
            Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.66"),
            f"guess{number}@customer.example",
        )

    sprayer = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.66")
    everyone_else = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert login(sprayer, customer).status_code == 429
    assert login(everyone_else, customer).status_code == 302


# --- the client's address ----------------------------------------------------------------


def ip_of(remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_x_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = []
    assert ip_of("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_x_forwarded_for_is_ignored_from_a_client_that_is_not_our_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert ip_of("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_behind_our_proxy_the_address_it_saw_counts_not_what_the_client_wrote(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    # nginx appends the address it saw to whatever the client sent.
    assert ip_of(PROXY, "203.0.113.1") == "203.0.113.1"
    assert ip_of(PROXY, "1.2.3.4, 203.0.113.1") == "203.0.113.1"
    assert ip_of(PROXY, "1.2.3.4, 203.0.113.1, 10.0.0.3") == "203.0.113.1"


def test_a_garbled_forwarded_header_from_our_proxy_falls_back_to_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8::/32"]
    assert ip_of(PROXY, "203.0.113.1, not-an-address") == PROXY
    assert ip_of(PROXY, "") == PROXY
    assert ip_of("2001:db8::5", "2001:db9::7") == "2001:db9::7"
