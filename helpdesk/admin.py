"""The staff side's own admin site: the helpdesk's name, and the triage work first."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

# The order of the staff menu: what a support engineer opens first, then the rest.
APP_ORDER = ("tickets", "mailin", "billing", "moderation", "sla", "accounts", "notifications")


class HelpdeskAdminSite(admin.AdminSite):
    site_header = _("Helpdesk · support staff")
    site_title = _("Helpdesk staff")
    index_title = _("Triage and administration")

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        rank = {label: n for n, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: (rank.get(app["app_label"], len(rank)), app["name"]))


class HelpdeskAdminConfig(AdminConfig):
    default_site = "helpdesk.admin.HelpdeskAdminSite"
