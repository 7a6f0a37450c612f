from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Log in by e-mail address, whatever its letter case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            username = username.strip().lower()
        return super().authenticate(request, username=username, password=password, **kwargs)
