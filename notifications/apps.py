from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # anymail's tracking webhooks feed the suppression list (anymail's own signal:
        # the library's way in, like a view).
        from notifications import webhooks  # noqa: F401
