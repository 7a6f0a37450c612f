"""The staff side's own admin site: the helpdesk's name, and the triage work first."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

# The triage dashboard's counts, in the order shown (names of ``tickets.admin.QUEUES``).
DASHBOARD = (
    "unassigned",
    "urgent_new",
    "breaching_soon",
    "breached",
    "waiting_long",
    "flagged",
    "mine",
)
DASHBOARD_REFRESH_SECONDS = 60

# The order of the staff menu: what a support engineer opens first, then the rest.
APP_ORDER = ("tickets", "mailin", "billing", "moderation", "sla", "accounts", "notifications")


class HelpdeskAdminSite(admin.AdminSite):
    site_header = _("Helpdesk · support staff")
    site_title = _("Helpdesk staff")
    index_title = _("Triage and administration")

    def index(self, request, extra_context=None):
        """The admin's front page is the triage dashboard for contractor staff."""
        from accounts.admin import is_contractor_staff  # registers on this site: not at import

        context = dict(extra_context or {})
        if is_contractor_staff(request.user):
            context["triage"] = triage_counts(request.user)
            context["refresh_seconds"] = DASHBOARD_REFRESH_SECONDS
            context["my_views"] = my_views(request.user)
        return super().index(request, context)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        rank = {label: n for n, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: (rank.get(app["app_label"], len(rank)), app["name"]))


class HelpdeskAdminConfig(AdminConfig):
    default_site = "helpdesk.admin.HelpdeskAdminSite"


def triage_counts(user) -> list[dict]:
    """One count per queue, each its own query on indexed columns, linked to the list."""
    from tickets.models import Ticket
    from tickets.selectors import QUEUES, queue_condition

    now = timezone.now()
    labels = dict(QUEUES)
    changelist = reverse("admin:tickets_ticket_changelist")
    return [
        {
            "name": name,
            "label": labels[name],
            "count": Ticket.objects.filter(queue_condition(name, user=user, now=now)).count(),
            "url": f"{changelist}?{urlencode({'queue': name})}",
        }
        for name in DASHBOARD
    ]


def my_views(user) -> list[dict]:
    """The staff member's own saved views of the ticket list, as links (one query)."""
    from tickets.selectors import saved_views_of

    changelist = reverse("admin:tickets_ticket_changelist")
    return [
        {"name": view.name, "url": f"{changelist}?{view.query}"} for view in saved_views_of(user)
    ]
