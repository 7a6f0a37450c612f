from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailinConfig(AppConfig):
    name = "mailin"
    verbose_name = _("Inbound mail")

    def ready(self):
        from mailin import receivers  # noqa: F401  (connects anymail's inbound signal)
