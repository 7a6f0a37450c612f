"""Who a request is: a personal token (``Authorization: Bearer hd_…``) or the session."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api.tokens import api_token_find

KEYWORDS = (b"bearer", b"token")


class TokenAuthentication(authentication.BaseAuthentication):
    """A personal API token acts exactly as its user; ``request.auth`` is the token."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("The Authorization header is malformed."))
        try:
            raw = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
        token = api_token_find(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("The token is not valid, has expired or was revoked.")
            )
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browsable API: the portal's session, with its CSRF check. A session that has
    given only the password (its second factor pending, noted by
    ``accounts.two_factor.SecondFactorMiddleware``) is no login here."""

    def authenticate(self, request):
        if getattr(request._request, "second_factor_pending", None):
            return None
        return super().authenticate(request)
