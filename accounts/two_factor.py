"""Two-factor login (django-otp): a time-based code from an authenticator app (TOTP),
and single-use recovery codes for a lost phone.

Contractor staff can read every customer's data: when TWO_FACTOR_REQUIRED_FOR_STAFF is
on (production), they set up an app at their first login and give a code at every
login. Anyone else may turn it on for themselves, and is then asked the same way. The
password alone opens a session that reaches only the second-factor pages
(``SecondFactorMiddleware``), in the portal and in the admin alike.
"""

from functools import partial

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp import login as otp_login
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

# Whether the person of this session has a second factor, noted at login: the check on
# every request then costs no query for the people (most customers) who have none.
SESSION_KEY = "accounts_second_factor"
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
TOTP_DIGITS = 6
# The REST API (the api app) under this prefix gets no redirects: see the middleware.
API_PATH_PREFIX = "/api/"


# --- the rules -------------------------------------------------------------------------


def second_factor_required(user: User) -> bool:
    """Contractor staff (and a superuser) must log in with a second factor while
    TWO_FACTOR_REQUIRED_FOR_STAFF is on."""
    return bool(
        getattr(settings, "TWO_FACTOR_REQUIRED_FOR_STAFF", False)
        and user.is_active
        and (user.is_contractor or user.is_superuser)
    )


def has_second_factor(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def has_app(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_verified(request) -> bool:
    """This session has given the second factor (django_otp.login() noted the device).

    Read from the session alone, unlike django-otp's OTPMiddleware, which loads the
    device on every request: a staff page costs no extra query. The session id is
    renewed when the code is given, and turning the factor off clears the note.
    """
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def pending_step(request) -> str | None:
    """The page a password-only session must go through first ("two_factor_verify" or
    "two_factor_setup"), or None when the session may go anywhere."""
    user = request.user
    if not user.is_authenticated or session_verified(request):
        return None
    if request.session.get(SESSION_KEY) is None:
        request.session[SESSION_KEY] = has_second_factor(user)
    if request.session[SESSION_KEY]:
        return "two_factor_verify"
    if second_factor_required(user):
        return "two_factor_setup"
    return None


def _note_second_factor_at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = has_second_factor(user)


user_logged_in.connect(_note_second_factor_at_login, dispatch_uid="accounts.two_factor")


class SecondFactorMiddleware:
    """A session that has given only the password is sent to the code (or, for staff
    without an app yet, to its set-up) from any page but those, the passkey ceremonies
    and logging out. It also tells django-otp-webauthn's views whether the session is
    verified (``user.is_verified()``, which django-otp's own middleware would set)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def open_paths(self) -> tuple[str, ...]:
        if self._open is None:
            names = ("two_factor_verify", "two_factor_setup", "two_factor_new_codes",
                     "logout", "admin:logout", "set_language",
                     "otp_webauthn:credential-authentication-begin",
                     "otp_webauthn:credential-authentication-complete",
                     "otp_webauthn:credential-registration-begin",
                     "otp_webauthn:credential-registration-complete",
                     "otp_webauthn:js-i18n-catalog")
            self._open = tuple(reverse(name) for name in names)
        return self._open

    def __call__(self, request):
        if request.user.is_authenticated:
            request.user.is_verified = partial(session_verified, request)
        step = pending_step(request)
        if step is not None and request.path_info.startswith(API_PATH_PREFIX):
            # The API answers, never redirects: its session authentication treats this
            # session as no login at all (401), while a token request goes on as its token.
            request.second_factor_pending = step
            return self.get_response(request)
        if step is not None and request.path_info not in self.open_paths():
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path(), reverse(step))
        return self.get_response(request)


# --- verifying -------------------------------------------------------------------------


def _clean(code: str) -> str:
    return "".join(code.split()).lower()


def second_factor_verify(*, request, code: str) -> bool:
    """The person of a password-only session gives a code from their app, or a recovery
    code (which is then used up). django-otp slows down repeated wrong codes per device."""
    code, user = _clean(code), request.user
    kinds = TOTPDevice if code.isdigit() and len(code) == TOTP_DIGITS else StaticDevice
    for device in kinds.objects.devices_for_user(user, confirmed=True):
        verified = otp_verify_token(user, device.persistent_id, code)
        if verified is not None:
            mark_verified(request, verified)
            return True
    return False


def mark_verified(request, device) -> None:
    request.session.cycle_key()  # a new session id for the fully logged-in session
    otp_login(request, device)
    request.session[SESSION_KEY] = True


# --- setting up, recovery codes, turning off -------------------------------------------


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The app being set up: an unconfirmed TOTP device, the same one until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def totp_qr_svg(device: TOTPDevice) -> str:
    """The set-up link of the app as an inline SVG QR code (no script, no external image)."""
    import segno  # only the setup page draws a QR code: not loaded in every worker

    return segno.make(device.config_url, error="m").svg_inline(scale=4, light="#fff")


def totp_secret(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into the app by hand."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def totp_device_confirm(*, request, code: str) -> list[str] | None:
    """The first code from the app confirms it: the second factor is on, this session is
    verified, and the person gets fresh recovery codes (returned, shown once). None when
    the code is wrong."""
    user = request.user
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None or not device.verify_token(_clean(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _new_recovery_codes(user)
    mark_verified(request, device)
    return codes


def recovery_codes_renew(*, user: User) -> list[str]:
    """New recovery codes for a verified session; the old ones stop working."""
    with transaction.atomic():
        return _new_recovery_codes(user)


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def primary_devices_count(user: User) -> int:
    """The person's apps and passkeys (recovery codes are not counted: they only stand in
    for one of these)."""
    from django_otp_webauthn.models import WebAuthnCredential

    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).count()
        + WebAuthnCredential.objects.filter(user=user, confirmed=True).count()
    )


def recovery_codes_remove(*, user: User) -> None:
    StaticDevice.objects.filter(user=user).delete()


def session_forget_second_factor(request) -> None:
    """The person has no second factor any more: this session stops noting one."""
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session[SESSION_KEY] = False


def second_factor_disable(*, request) -> bool:
    """Someone for whom it is optional turns the second factor off (from a verified
    session). Staff who must use it cannot; False then."""
    user = request.user
    if second_factor_required(user):
        return False
    from django_otp_webauthn.models import WebAuthnCredential

    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        WebAuthnCredential.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    session_forget_second_factor(request)
    return True
