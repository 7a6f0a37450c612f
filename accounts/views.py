"""The portal pages of accounts: a representative's colleagues and account requests, and
the invitation link a new colleague opens to set a password. Thin over ``services``."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import services
from accounts.forms import AccountRequestForm, DeactivationRequestForm


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
