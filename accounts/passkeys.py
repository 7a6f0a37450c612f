"""Passkeys as a second factor (django-otp-webauthn): a security key, or the phone's or
computer's own screen lock, instead of typing a code from an app.

A passkey is one more django-otp device, so everything in accounts.two_factor counts it:
a person with a passkey is asked for the second step at login, and staff who must use
two-factor login may set up a passkey instead of an app. It is never a way to log in
without the password (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off): the ceremony runs
for the person of a password-only session, and its success completes that login the
same way a code does (a new session id, the device noted in the session).

The relying party is the portal's own address (SITE_URL, see settings): its host is the
passkey's scope, its origin the only one accepted.
"""

import json

from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.urls import reverse
from django_otp_webauthn import exceptions
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from accounts import two_factor
from accounts.models import User

# Recovery codes made when a passkey was the first factor set up, shown once on the next
# page (the ceremony itself answers JSON to the library's script).
NEW_CODES_SESSION_KEY = "accounts_new_recovery_codes"


def passkeys_of(user: User):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")


def passkey_remove(*, request, pk: int) -> bool:
    """Remove one of one's own passkeys, from a verified session. Someone who must use
    two-factor login keeps at least one other device (an app or another passkey); with
    no device left, the recovery codes go too (they belong to the second factor)."""
    user = request.user
    if not two_factor.session_verified(request):
        return False
    with transaction.atomic():
        passkey = WebAuthnCredential.objects.select_for_update().filter(user=user, pk=pk).first()
        if passkey is None:
            return False
        others = two_factor.primary_devices_count(user) - 1
        if others < 1 and two_factor.second_factor_required(user):
            return False
        passkey.delete()
        if others < 1:
            two_factor.recovery_codes_remove(user=user)
    if others < 1:
        two_factor.session_forget_second_factor(request)
    return True


def new_recovery_codes_pop(request) -> list[str] | None:
    return request.session.pop(NEW_CODES_SESSION_KEY, None)


# --- the ceremonies (the library's views, bound to our login) ------------------------


class PasskeyRegistrationBegin(BeginCredentialRegistrationView):
    """Start adding a passkey. The library refuses a person who has a second factor but
    whose session has not given it."""


class PasskeyRegistrationComplete(CompleteCredentialRegistrationView):
    """The new passkey is saved. A session that had no second factor yet is now verified
    by it, as after confirming an app; recovery codes are made when the person has none,
    and the answer says which page shows them."""

    def post(self, *args, **kwargs):
        request = self.request
        was_verified = two_factor.session_verified(request)
        response = super().post(*args, **kwargs)
        if response.status_code != 200:
            return response
        data = json.loads(response.content)
        if not was_verified:
            request.session.cycle_key()
        request.session[two_factor.SESSION_KEY] = True
        if two_factor.recovery_codes_left(request.user) == 0:
            request.session[NEW_CODES_SESSION_KEY] = two_factor.recovery_codes_renew(
                user=request.user
            )
            data["next"] = reverse("two_factor_new_codes")
        return JsonResponse(data)


class PasskeyAuthenticationBegin(BeginCredentialAuthenticationView):
    """Start the second step with a passkey: only after the password."""

    def check_can_authenticate(self):
        if not self.request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        super().check_can_authenticate()


class PasskeyAuthenticationComplete(CompleteCredentialAuthenticationView):
    """The passkey answered: this completes the login of the password-only session, the
    same way a code does. A passkey of someone else completes nothing."""

    def check_can_authenticate(self):
        if not self.request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        super().check_can_authenticate()

    def check_device_usable(self, device) -> None:
        super().check_device_usable(device)
        if device.user_id != self.request.user.pk:
            raise exceptions.CredentialNotFound()

    def complete_auth(self, device):
        two_factor.mark_verified(self.request, device)

    def get_success_url(self):
        return self.get_redirect_url() or reverse(settings.LOGIN_REDIRECT_URL)
