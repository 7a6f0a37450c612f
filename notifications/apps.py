from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # The outbox listens to the ticket and SLA signals; anymail's tracking webhooks
        # feed the suppression list.
        from notifications import receivers, webhooks  # noqa: F401
