"""What a caller may do at all; what they may do with a ticket is the services' business."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from api.models import ApiToken


class TokenScopeAllows(permissions.BasePermission):
    """A read-only token reads; only a read-write token (or the session) writes."""

    message = _("This token is read-only; create a read-write token to make changes.")
    code = "token_read_only"

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        return not isinstance(token, ApiToken) or token.may_write


class IsContractor(permissions.BasePermission):
    message = _("Only the contractor's staff can do that.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_contractor)
