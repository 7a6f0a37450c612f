"""The portal pages of accounts: a representative's colleagues and account requests, and
the invitation link a new colleague opens to set a password. Thin over ``services``."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import passkeys, services, two_factor
from accounts.forms import (
    AccountRequestForm,
    AppCodeForm,
    DeactivationRequestForm,
    SecondFactorForm,
)
from accounts.models import AccountRequestStatus
from accounts.security import client_ip
from accounts.throttle import password_reset_allowed

logger = logging.getLogger(__name__)


def _require_representative(user) -> None:
    """Pages for the representative only: anyone else gets 403, whatever the URL."""
    if not user.is_representative:
        raise PermissionDenied(_("Only your organisation's representative can manage accounts."))


@login_required
@require_GET
def colleagues(request):
    _require_representative(request.user)
    people = services.colleagues_of(request.user)
    return render(request, "accounts/colleagues.html", {"people": people})


@login_required
def account_request_new(request):
    _require_representative(request.user)
    form = AccountRequestForm(
        request.POST or None, initial={"language": request.user.language}
    )
    if request.method == "POST" and form.is_valid():
        try:
            account_request = services.account_request_file(
                requested_by=request.user, **form.cleaned_data
            )
        except services.AccountRequestRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("The account for %(name)s is requested; you will get an e-mail when a "
                  "contractor manager has decided.") % {"name": account_request.full_name},
            )
            return redirect("account_requests")
    status = 400 if form.errors else 200
    context = {"form": form, "support_email": settings.SUPPORT_EMAIL}
    return render(request, "accounts/account_request_new.html", context, status=status)


@login_required
def colleague_deactivate(request, pk: int):
    _require_representative(request.user)
    colleague = get_object_or_404(services.colleagues_of(request.user), pk=pk)
    form = DeactivationRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_deactivation_request_file(
                requested_by=request.user, user=colleague, note=form.cleaned_data["note"]
            )
        except services.AccountRequestRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("The deactivation of %(name)s is requested; you will get an e-mail when a "
                  "contractor manager has decided.") % {"name": colleague.get_full_name()},
            )
            return redirect("account_requests")
    status = 400 if form.errors else 200
    context = {"form": form, "colleague": colleague}
    return render(request, "accounts/colleague_deactivate.html", context, status=status)


@login_required
@require_GET
def account_requests(request):
    _require_representative(request.user)
    requests = services.account_requests_visible_to(request.user)
    page = Paginator(requests, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:  # the representative confirms their own here too
        mine = item.requested_by_id == request.user.pk
        if item.status == AccountRequestStatus.UNCONFIRMED and mine:
            item.confirm_token = services.confirmation_token(item)
    return render(request, "accounts/account_requests.html", {"page": page})


class InvitationAcceptView(PasswordResetConfirmView):
    """The link of the invitation: set a password once, then straight into the portal.

    Django's password-reset flow (the token leaves the URL for the session before the
    form is shown), with the invitation's own token and lifetime.
    """

    token_generator = services.invitation_token
    template_name = "accounts/invitation_accept.html"
    post_reset_login = True
    post_reset_login_backend = "accounts.backends.EmailBackend"
    success_url = reverse_lazy("portal:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request, _("Your password is set. Welcome to the helpdesk!")
        )
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, throttled per address and per client: past the limit the
    page says exactly what it says otherwise, and no mail goes."""

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if password_reset_allowed(email=email, ip=client_ip(self.request)):
            return super().form_valid(form)
        logger.warning("password reset throttled (client %s)", client_ip(self.request))
        return HttpResponseRedirect(self.get_success_url())


# --- two-factor login ------------------------------------------------------------------


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else settings.LOGIN_REDIRECT_URL


@never_cache
@login_required
def two_factor_verify(request):
    """The second step of logging in: the code from the app, or a recovery code."""
    if two_factor.session_verified(request) or not two_factor.has_second_factor(request.user):
        return redirect(_next_url(request))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.second_factor_verify(request=request, code=form.cleaned_data["code"]):
            return redirect(_next_url(request))
        form.add_error(
            "code",
            _("This code is wrong or has expired. After several wrong codes, wait a little "
              "before the next try."),
        )
    status = 400 if form.errors else 200
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/two_factor_verify.html", context, status=status)


@never_cache
@login_required
def two_factor_setup(request):
    """Set up an authenticator app: scan the code (or type the key), give the first code.
    Staff meet this page at their first login while two-factor login is required."""
    if two_factor.has_second_factor(request.user) and not two_factor.session_verified(request):
        return redirect(f"{reverse('two_factor_verify')}?next={reverse('two_factor_setup')}")
    device = two_factor.totp_device_pending(user=request.user)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.totp_device_confirm(request=request, code=form.cleaned_data["code"])
        if codes is not None:
            return _show_recovery_codes(request, codes, next_url=_next_url(request))
        form.add_error("code", _("This code is wrong or has expired; try the one shown now."))
    context = {
        "form": form,
        "qr_svg": two_factor.totp_qr_svg(device),
        "secret": two_factor.totp_secret(device),
        "next": _next_url(request),
        "required": two_factor.second_factor_required(request.user),
    }
    return render(
        request, "accounts/two_factor_setup.html", context, status=400 if form.errors else 200
    )


def _show_recovery_codes(request, codes: list[str], *, next_url: str):
    return render(
        request, "accounts/two_factor_recovery_codes.html", {"codes": codes, "next": next_url}
    )


@login_required
@require_GET
def two_factor_settings(request):
    user = request.user
    context = {
        "enabled": two_factor.has_second_factor(user),
        "has_app": two_factor.has_app(user),
        "required": two_factor.second_factor_required(user),
        "recovery_codes_left": two_factor.recovery_codes_left(user),
        "passkeys": passkeys.passkeys_of(user),
        "verified": two_factor.session_verified(request),
    }
    return render(request, "accounts/two_factor.html", context)


@never_cache
@login_required
@require_GET
def two_factor_new_codes(request):
    """The recovery codes made when a passkey was the first second factor set up: shown
    once, right after."""
    codes = passkeys.new_recovery_codes_pop(request)
    if not codes:
        return redirect("two_factor_settings")
    return _show_recovery_codes(request, codes, next_url=_next_url(request))


@login_required
@require_POST
def passkey_remove(request, pk: int):
    """Remove one of one's passkeys, from a verified session; staff who must use
    two-factor login keep another device."""
    if passkeys.passkey_remove(request=request, pk=pk):
        messages.success(request, _("The passkey is removed."))
    elif not two_factor.session_verified(request):
        messages.error(request, _("Give your second factor first, then remove the passkey."))
    else:
        messages.error(
            request,
            _("Two-factor login is required for your account: add another passkey or an "
              "authenticator app before removing this one."),
        )
    return redirect("two_factor_settings")


@never_cache
@login_required
@require_POST
def two_factor_recovery_codes(request):
    """New recovery codes (the old ones stop working); from a verified session only."""
    if not two_factor.session_verified(request):
        return redirect("two_factor_settings")
    codes = two_factor.recovery_codes_renew(user=request.user)
    return _show_recovery_codes(request, codes, next_url=reverse("two_factor_settings"))


@login_required
@require_POST
def two_factor_disable(request):
    """Turn it off, where it is optional; from a verified session only."""
    if two_factor.second_factor_required(request.user):
        messages.error(request, _("Two-factor login is required for your account."))
    elif two_factor.session_verified(request) and two_factor.second_factor_disable(request=request):
        messages.success(request, _("Two-factor login is off."))
    return redirect("two_factor_settings")


@login_required
def account_request_confirm(request, token: str):
    """The link mailed to a representative: confirm a request made in their name by
    e-mail (GET shows it, POST confirms). Only that representative may."""
    account_request = services.request_from_confirmation_token(token)
    if account_request is None or account_request.requested_by_id != request.user.pk:
        raise Http404
    if request.method == "POST":
        try:
            services.account_request_confirm(account_request=account_request, actor=request.user)
        except services.AccountRequestRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Confirmed: the request goes to the contractor's managers.")
            )
        return redirect("account_requests")
    return render(
        request,
        "accounts/account_request_confirm.html",
        {"item": account_request, "token": token},
    )
