"""Two-factor login in tests: a real TOTP device, real codes.

``force_login`` stands for "this person has logged in", and a contractor's login is not
complete without the second factor while TWO_FACTOR_REQUIRED_FOR_STAFF is on (it is on
in the tests, as in production). So the suite-wide fixture ``verified_force_login``
(re-exported by tests/conftest.py) does what a real login does after the password:
it verifies a confirmed TOTP device of the person for that session, the way
django_otp.login() does. The tests in this folder log in through the pages instead,
where they prove the second step itself.
"""

import time

import pytest
from django.test.client import ClientMixin
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor


def totp_device(user) -> TOTPDevice:
    """The person's confirmed authenticator app (made once)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test app", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The code the app shows now; one step ahead if this step's code was used already
    (a code works once, and the device accepts the next step's too)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def totp_code_for_key(base32_key: str) -> str:
    """The code an app set up with this key (as shown on the set-up page) shows now."""
    from base64 import b32decode

    key = "".join(base32_key.split())
    key += "=" * (-len(key) % 8)
    totp = TOTP(b32decode(key))
    totp.time = time.time()
    return f"{totp.token():06d}"


def verify_session(client, user) -> None:
    """Mark the client's session as verified with the person's device."""
    if not (two_factor.second_factor_required(user) or two_factor.has_second_factor(user)):
        return
    device = totp_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[two_factor.SESSION_KEY] = True
    session.save()


@pytest.fixture(autouse=True)
def verified_force_login(monkeypatch):
    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        verify_session(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


def pass_second_factor(page, base: str, user) -> None:
    """In a browser, after the password: give the app's code when the login asks for it."""
    if "/accounts/two-factor/verify/" not in page.url:
        return
    page.get_by_label("Code").fill(totp_code(totp_device(user)))
    page.get_by_role("button", name="Verify").click()
