"""System checks of accounts: the signing key that protects sessions, password-reset and
invitation links must be secret in production."""

from django.conf import settings
from django.core.checks import Error, Tags, register

MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_CHARACTERS = 5


def secret_key_problem(key: str) -> str | None:
    """Why a key is unfit for production, or None."""
    if not key:
        return "SECRET_KEY is empty"
    if key == getattr(settings, "DEVELOPMENT_SECRET_KEY", None):
        return "SECRET_KEY is the built-in development key, which is public"
    if key.startswith("django-insecure"):
        return "SECRET_KEY is one that Django generated as insecure"
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < MIN_SECRET_KEY_CHARACTERS:
        return (
            f"SECRET_KEY is too short or too plain (fewer than {MIN_SECRET_KEY_LENGTH} "
            f"characters or fewer than {MIN_SECRET_KEY_CHARACTERS} different ones)"
        )
    return None


@register(Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs) -> list[Error]:
    """With DEBUG off, a missing, short or built-in SECRET_KEY (or fallback) is an error:
    anyone who knows it can forge sessions and password-reset links."""
    if settings.DEBUG:
        return []
    keys = [("SECRET_KEY", settings.SECRET_KEY)] + [
        ("SECRET_KEY_FALLBACKS", key) for key in getattr(settings, "SECRET_KEY_FALLBACKS", [])
    ]
    errors = []
    for name, key in keys:
        problem = secret_key_problem(key)
        if problem:
            errors.append(
                Error(
                    f"{problem}{' (in SECRET_KEY_FALLBACKS)' if name != 'SECRET_KEY' else ''}.",
                    hint="Set SECRET_KEY in the environment to a long random string, e.g. "
                    "python3 -c 'import secrets; print(secrets.token_urlsafe(64))'.",
                    id="accounts.E001",
                )
            )
    return errors
