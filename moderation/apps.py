from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self):
        # Flags tickets and comments with improper words whichever way they came in
        # (portal, e-mail, admin); keeps the compiled word lists fresh.
        from moderation import receivers  # noqa: F401
