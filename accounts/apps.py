from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Organisations and people")

    def ready(self):
        from accounts import checks, two_factor  # noqa: F401 - registers the checks and hooks
