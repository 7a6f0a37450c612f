from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("SLA")

    def ready(self):
        from django.apps import apps

        from sla import receivers  # connects the clock to the ticket signals

        if apps.is_installed("billing"):
            receivers.connect_billing()
