from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Log in by e-mail address, whatever its letter case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            username = username.strip().lower()
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The session's user with their organisation, in one query: the portal's pages
        and the filing rules read it on nearly every request."""
        try:
            user = get_user_model()._default_manager.select_related("organisation").get(
                pk=user_id
            )
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def axes_username(request, credentials) -> str:
    """The username django-axes counts failures under: the e-mail as the backend sees it,
    so "ALICE@…" and "alice@…" share one lockout (portal and admin login alike)."""
    source = credentials if credentials else getattr(request, "POST", {})
    return (source.get("username") or "").strip().lower()
