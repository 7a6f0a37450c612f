"""The staff side's own admin site (django-unfold's skin on Django's admin): the
helpdesk's name, and the triage work first."""

from django.contrib.admin.apps import AdminConfig
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

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
# The dashboard reloads itself only for a person who turned that on (?refresh=on, kept in
# the session): a page that reloads without the reader's consent fails WCAG 2.2.1.
DASHBOARD_REFRESH_SESSION_KEY = "dashboard_refresh"

# The order of the staff menu: what a support engineer opens first, then the rest.
APP_ORDER = (
    "tickets", "moderation", "billing", "sla", "accounts", "mailin", "notifications",
    "webhooks", "api",
)
# Within an app, the models an agent works through first (object names).
MODEL_ORDER = ("ticket", "flag", "outofhoursrequest")
# The sidebar's icons (Material Symbols names, shipped with unfold), per app.
APP_ICONS = {
    "tickets": "confirmation_number",
    "moderation": "flag",
    "billing": "schedule",
    "sla": "timer",
    "accounts": "groups",
    "mailin": "inbox",
    "notifications": "mail",
    "webhooks": "webhook",
    "api": "key",
}


class HelpdeskAdminSite(UnfoldAdminSite):
    site_header = _("Helpdesk · support staff")
    site_title = _("Helpdesk staff")
    index_title = _("Triage and administration")

    def index(self, request, extra_context=None):
        """The admin's front page is the triage dashboard for contractor staff."""
        from accounts.admin import is_contractor_staff  # registers on this site: not at import

        context = dict(extra_context or {})
        if is_contractor_staff(request.user):
            choice = request.GET.get("refresh")
            if choice in ("on", "off"):
                request.session[DASHBOARD_REFRESH_SESSION_KEY] = choice == "on"
            context["triage"] = triage_counts(request.user)
            context["refreshing"] = request.session.get(DASHBOARD_REFRESH_SESSION_KEY, False)
            context["refresh_seconds"] = DASHBOARD_REFRESH_SECONDS
            context["my_views"] = my_views(request.user)
        return super().index(request, context)

    def get_urls(self):
        return [path("live/", self.admin_view(self.live), name="live"), *super().get_urls()]

    def live(self, request):
        """What a staff page keeps current while it is open (static/js/admin_live.js
        polls it every STAFF_LIVE_POLL_SECONDS): the Urgent banner, and with ``?counts=1``
        the triage dashboard's counts."""
        from accounts.admin import is_contractor_staff  # registers on this site: not at import
        from helpdesk.context_processors import urgent_waiting

        if not is_contractor_staff(request.user):
            return JsonResponse({"detail": _("Contractor staff only.")}, status=403)
        banner = render_to_string(
            "admin/includes/urgent_banner.html", {"urgent_waiting": urgent_waiting()}, request
        )
        data = {"banner": banner.strip()}
        if request.GET.get("counts"):
            counts = triage_counts(request.user)
            data["counts"] = {queue["name"]: queue["count"] for queue in counts}
        response = JsonResponse(data)
        add_never_cache_headers(response)
        return response

    def get_app_list(self, request, app_label=None):
        """The apps in APP_ORDER, worked out once per request: every staff page asks twice
        (the admin's context and the sidebar, ``sidebar_navigation``)."""
        built = request.__dict__.setdefault("_helpdesk_app_lists", {})
        if app_label not in built:
            apps = super().get_app_list(request, app_label)
            rank = {label: n for n, label in enumerate(APP_ORDER)}
            apps = sorted(
                apps, key=lambda app: (rank.get(app["app_label"], len(rank)), app["name"])
            )
            for app in apps:
                app["models"].sort(key=_model_rank)
            built[app_label] = apps
        return built[app_label]


class HelpdeskAdminConfig(AdminConfig):
    default_site = "helpdesk.admin.HelpdeskAdminSite"


def _model_rank(model: dict) -> tuple:
    name = model["object_name"].lower()
    return (MODEL_ORDER.index(name) if name in MODEL_ORDER else len(MODEL_ORDER), model["name"])


def sidebar_navigation(request) -> list[dict]:
    """The sidebar (settings.UNFOLD): the apps in APP_ORDER with the models this person
    may see, as the admin's index lists them (the same permissions and URL names), the
    triage dashboard beside the tickets, the reports last."""
    from django.contrib import admin

    from accounts.admin import is_contractor_staff  # registers on this site: not at import

    groups = []
    for app in admin.site.get_app_list(request):
        icon = APP_ICONS.get(app["app_label"], "table_rows")
        items = [_item(model["name"], icon, model["admin_url"]) for model in app["models"]]
        items = [item for item in items if item["link"]]
        if app["app_label"] == "tickets" and is_contractor_staff(request.user):
            items.insert(1, _item(_("Triage dashboard"), "dashboard", reverse("admin:index")))
        if items:
            groups.append(_group(app["name"], bool(groups), items))
    if is_contractor_staff(request.user):
        reports = _item(_("Reports"), "bar_chart", reverse("reports:index"))
        groups.append(_group(_("Reports"), True, [reports]))
    return groups


# unfold's sidebar template asks each group and link for these; said here, they are not
# looked for in vain on every page (no badges, no link callbacks, nothing collapsible).
def _item(title, icon: str, link) -> dict:
    return {"title": title, "icon": icon, "link": link, "badge": None, "link_callback": None}


def _group(title, separator: bool, items: list[dict]) -> dict:
    return {
        "title": title, "separator": separator, "items": items, "collapsible": False,
        "badge": None,
    }


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
