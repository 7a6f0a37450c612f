from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Customer portal")

    def ready(self):
        # The staff ticket page keeps the files of a form it shows again here too.
        from portal import pending
        from tickets import kept_uploads

        kept_uploads.register(pending)
