"""Managers edit the SLA policies and the calendar overrides here."""

import holidays
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from core.admin_widgets import LabelledListEditableMixin
from sla import services
from sla.models import CalendarOverride, RecalculationNote, SlaPolicy


class ManagerOnlyAdmin(ModelAdmin):
    """Agents may look; only managers change SLA settings."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_contractor

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_contractor

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_manager

    has_add_permission = has_delete_permission = lambda self, request, obj=None: (
        request.user.is_active and request.user.is_manager
    )


def _recalculate_after_commit(priority=None, note=""):
    """Deadlines follow the change, recomputed by a worker, never in this request."""
    with transaction.atomic():
        services.sla_recalculation_request(priority=priority, note=note)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(LabelledListEditableMixin, ManagerOnlyAdmin):
    list_display = ["priority", "reaction_hours", "resolution_hours"]
    list_editable = ["reaction_hours", "resolution_hours"]
    list_display_links = ["priority"]

    def get_readonly_fields(self, request, obj=None):
        return ["priority"] if obj else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _recalculate_after_commit(priority=obj.priority, note=RecalculationNote.POLICY_CHANGED)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ManagerOnlyAdmin):
    list_display = ["date", "kind", "start", "end", "note"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    fields = ["date", "kind", "start", "end", "note"]
    change_list_template = "admin/sla/calendaroverride/change_list.html"

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)
        _recalculate_after_commit(note=RecalculationNote.CALENDAR_CHANGED)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _recalculate_after_commit(note=RecalculationNote.CALENDAR_CHANGED)

    def changelist_view(self, request, extra_context=None):
        year = timezone.localdate().year
        try:
            year = int(request.GET.get("date__year", year))
        except ValueError:
            pass
        extra_context = {**(extra_context or {}), **official_calendar_context(year)}
        return super().changelist_view(request, extra_context=extra_context)


def holiday_language(supported: tuple[str, ...]) -> str | None:
    """The active language as ``holidays`` spells it ("ru", "en_US"), or None for the
    country's own."""
    active = (get_language() or settings.LANGUAGE_CODE).replace("-", "_").lower()
    for wanted in (active, active.split("_")[0]):
        for code in supported:
            if code.lower() == wanted or code.lower().split("_")[0] == wanted:
                return code
    return None


def official_calendar_context(year: int) -> dict:
    """The official holidays and working Saturdays of a year, shown for reference, their
    names in the reader's language."""
    code = settings.SLA_CALENDAR_COUNTRY
    language = holiday_language(holidays.country_holidays(code).supported_languages)
    country = holidays.country_holidays(code, years=year, language=language)
    workdays = sorted(
        day for day in getattr(country, "weekend_workdays", set()) if day.year == year
    )
    return {
        "official_year": year,
        "official_holidays": sorted(country.items()),
        "official_workdays": workdays,
        "official_title": _("Official calendar of %(year)s (%(country)s)")
        % {"year": year, "country": settings.SLA_CALENDAR_COUNTRY},
    }
