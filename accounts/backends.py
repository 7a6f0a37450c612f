from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Log in by e-mail address, whatever its letter case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            username = username.strip().lower()
        return super().authenticate(request, username=username, password=password, **kwargs)


def axes_username(request, credentials) -> str:
    """The username django-axes counts failures under: the e-mail as the backend sees it,
    so "ALICE@…" and "alice@…" share one lockout (portal and admin login alike)."""
    source = credentials if credentials else getattr(request, "POST", {})
    return (source.get("username") or "").strip().lower()
