"""The passkey ceremonies, under the names django-otp-webauthn's templates reverse."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from accounts import passkeys

app_name = "otp_webauthn"

urlpatterns = [
    path(
        "registration/begin/",
        passkeys.PasskeyRegistrationBegin.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        passkeys.PasskeyRegistrationComplete.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        passkeys.PasskeyAuthenticationBegin.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        passkeys.PasskeyAuthenticationComplete.as_view(),
        name="credential-authentication-complete",
    ),
    # The script's messages: the djangojs catalogues of every app and of locale/ (ours
    # has the Russian the library does not ship).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="js-i18n-catalog"),
]
