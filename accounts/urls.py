from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views
from accounts.forms import EmailAuthenticationForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("two-factor/", views.two_factor_settings, name="two_factor_settings"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path(
        "two-factor/recovery-codes/",
        views.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("two-factor/new-codes/", views.two_factor_new_codes, name="two_factor_new_codes"),
    path(
        "two-factor/passkeys/<int:pk>/remove/", views.passkey_remove, name="passkey_remove"
    ),
    path("passkeys/", include("accounts.passkey_urls")),
    path("colleagues/", views.colleagues, name="colleagues"),
    path("colleagues/new/", views.account_request_new, name="account_request_new"),
    path(
        "colleagues/<int:pk>/deactivate/",
        views.colleague_deactivate,
        name="colleague_deactivate",
    ),
    path("requests/", views.account_requests, name="account_requests"),
    path(
        "requests/confirm/<str:token>/",
        views.account_request_confirm,
        name="account_request_confirm",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path("", include("django.contrib.auth.urls")),
]
