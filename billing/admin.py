"""Billing in the staff admin: out-of-hours approvals (managers), logged time (agents),
update schedules, statements. Access follows the role, as in ``accounts.admin``; every
write goes through ``billing.services`` / ``billing.statements``; times are shown and
entered in the business calendar's time zone.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin, TabularInline

from accounts.admin import is_contractor_staff
from billing import services, statements
from billing.forms import (
    OutOfHoursRequestAdminForm,
    TimeEntryAdminForm,
    UpdateScheduleAdminForm,
)
from billing.models import (
    OutOfHoursRequest,
    OutOfHoursStatus,
    Statement,
    StatementLine,
    StatementStatus,
    TimeEntry,
    UpdateSchedule,
)
from billing.templatetags.billing_tags import calendar_time, calendar_window, hours
from billing.views import csv_response
from core.errors import ActionRefused


class CalendarZoneMixin:
    """Pages of this admin read and show times in the business calendar's time zone."""

    def _in_calendar_zone(self, view, *args, **kwargs):
        with timezone.override(services.calendar_zone()):
            response = view(*args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    def changeform_view(self, *args, **kwargs):
        return self._in_calendar_zone(super().changeform_view, *args, **kwargs)

    def changelist_view(self, *args, **kwargs):
        return self._in_calendar_zone(super().changelist_view, *args, **kwargs)


class StaffAdmin(CalendarZoneMixin, ModelAdmin):
    """Contractor staff look and add; what changes and who deletes is said per model."""

    def has_module_permission(self, request):
        return is_contractor_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    def has_add_permission(self, request):
        return is_contractor_staff(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})


def _ticket_link(ticket):
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    return format_html('<a href="{}">{}</a>', url, ticket.number)


# --- out-of-hours requests ---------------------------------------------------------


class TicketColumnsMixin:
    """The ticket (linked) and its organisation, for admins of rows about one ticket."""

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_link(self, obj):
        return _ticket_link(obj.ticket)

    @admin.display(description=_("organisation"), ordering="ticket__organisation__name")
    def organisation(self, obj):
        return obj.ticket.organisation


class AwaitingFilter(admin.SimpleListFilter):
    title = _("awaiting")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [
            ("contractor", _("A manager's approval")),
            ("customer", _("The customer's approval")),
        ]

    def queryset(self, request, queryset):
        if self.value() in ("contractor", "customer"):
            return queryset.filter(
                status=OutOfHoursStatus.PENDING, **{f"{self.value()}_decision": "pending"}
            )
        return queryset


@admin.register(OutOfHoursRequest)
class OutOfHoursRequestAdmin(TicketColumnsMixin, StaffAdmin):
    form = OutOfHoursRequestAdminForm
    change_form_template = "admin/billing/outofhoursrequest/change_form.html"
    list_display = (
        "__str__", "ticket_link", "organisation", "window", "requested_by",
        "customer_decision", "contractor_decision", "status",
    )
    list_filter = (AwaitingFilter, "status", "customer_decision", "contractor_decision")
    list_select_related = ("ticket", "ticket__organisation", "requested_by")
    search_fields = ("ticket__number", "ticket__subject", "ticket__organisation__name", "reason")
    autocomplete_fields = ("ticket",)
    actions = ("approve_selected",)
    readonly_fields = (
        "ticket_link", "organisation", "window", "reason", "status", "requested_by",
        "requested_at", "customer_decision", "customer_decided_by", "customer_decided_at",
        "customer_comment", "contractor_decision", "contractor_decided_by",
        "contractor_decided_at", "contractor_comment",
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ("ticket", "start", "end", "reason")})]
        return [
            (None, {"fields": ("ticket_link", "organisation", "window", "reason", "status",
                               ("requested_by", "requested_at"))}),
            (_("Customer"), {"fields": ("customer_decision", "customer_decided_by",
                                        "customer_decided_at", "customer_comment")}),
            (_("Contractor"), {"fields": ("contractor_decision", "contractor_decided_by",
                                          "contractor_decided_at", "contractor_comment")}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    @admin.display(description=_("window"), ordering="start")
    def window(self, obj):
        return calendar_window(obj.start, obj.end)

    def save_model(self, request, obj, form, change):
        created = services.ooh_request_create(
            ticket=obj.ticket, actor=request.user, start=obj.start, end=obj.end, reason=obj.reason
        )
        obj.pk = created.pk

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["may_decide"] = services.may_decide(request.user, obj)
            context["decide_url"] = reverse(
                "admin:billing_outofhoursrequest_decide", args=[obj.pk]
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        decide = self.admin_site.admin_view(require_POST(self.decide_view))
        return [
            path("<path:object_id>/decide/", decide, name="billing_outofhoursrequest_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request, object_id):
        """A manager approves or declines on the contractor's side."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        decision = request.POST.get("decision")
        if decision not in ("approve", "decline"):
            raise Http404
        service = (
            services.ooh_request_approve if decision == "approve" else services.ooh_request_decline
        )
        try:
            obj = service(request=obj, actor=request.user, comment=request.POST.get("comment", ""))
        except ActionRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("The request is now “%(status)s”.")
                              % {"status": obj.get_status_display()}, messages.SUCCESS)
        url = reverse("admin:billing_outofhoursrequest_change", args=[obj.pk])
        return HttpResponseRedirect(url)

    @admin.action(description=_("Approve on the contractor's side"))
    def approve_selected(self, request, queryset):
        done = 0
        for obj in queryset:
            try:
                services.ooh_request_approve(request=obj, actor=request.user)
                done += 1
            except ActionRefused as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(
                request,
                ngettext("%(count)d request approved.", "%(count)d requests approved.", done)
                % {"count": done},
                messages.SUCCESS,
            )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_manager:
            actions.pop("approve_selected", None)
        return actions


# --- time entries ------------------------------------------------------------------


class UnapprovedOutOfHoursFilter(admin.SimpleListFilter):
    title = _("unapproved out-of-hours")
    parameter_name = "unapproved_ooh"

    def lookups(self, request, model_admin):
        return [
            ("review", _("To review")),
            ("all", _("All unapproved out-of-hours")),
            ("reviewed", _("Reviewed")),
        ]

    def queryset(self, request, queryset):
        flagged = queryset.filter(ooh_flagged=True)
        if self.value() == "review":
            return flagged.filter(ooh_reviewed_at__isnull=True)
        if self.value() == "all":
            return flagged
        if self.value() == "reviewed":
            return flagged.filter(ooh_reviewed_at__isnull=False)
        return queryset


@admin.register(TimeEntry)
class TimeEntryAdmin(TicketColumnsMixin, StaffAdmin):
    form = TimeEntryAdminForm
    list_display = (
        "start", "ticket_link", "organisation", "agent", "duration_text", "activity", "billable",
        "business_hours", "approved_ooh_hours", "unapproved_ooh_hours", "flag",
    )
    list_display_links = ("start",)
    list_filter = (UnapprovedOutOfHoursFilter, "activity", "billable", "ticket__organisation",
                   "agent")
    list_select_related = ("ticket", "ticket__organisation", "agent")
    search_fields = ("ticket__number", "ticket__subject", "description")
    autocomplete_fields = ("ticket",)
    date_hierarchy = "started_at"
    actions = ("mark_reviewed",)
    readonly_fields = ("split", "ooh_reviewed_by", "ooh_reviewed_at")

    def has_change_permission(self, request, obj=None):
        user = request.user
        if not is_contractor_staff(user):
            return False
        return obj is None or user.is_manager or user.pk in (obj.agent_id, obj.created_by_id)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        fields = ["ticket", "started_at", "duration", "activity", "billable", "description"]
        if request.user.is_manager:
            fields.insert(1, "agent")
        if obj is not None:
            fields += ["split", "ooh_reviewed_by", "ooh_reviewed_at"]
        return fields

    @admin.display(description=_("start"), ordering="started_at")
    def start(self, obj):
        return calendar_time(obj.started_at)

    @admin.display(description=_("duration"), ordering="duration")
    def duration_text(self, obj):
        minutes = round(obj.duration.total_seconds() / 60)
        return f"{minutes // 60}:{minutes % 60:02d}"

    @admin.display(description=_("business h"), ordering="business_seconds")
    def business_hours(self, obj):
        return hours(obj.business_seconds)

    @admin.display(description=_("out of hours, approved h (×2)"), ordering="approved_ooh_seconds")
    def approved_ooh_hours(self, obj):
        return hours(obj.approved_ooh_seconds)

    @admin.display(description=_("out of hours, not approved h"), ordering="unapproved_ooh_seconds")
    def unapproved_ooh_hours(self, obj):
        return hours(obj.unapproved_ooh_seconds)

    @admin.display(description=_("unapproved out-of-hours"), boolean=True, ordering="ooh_flagged")
    def flag(self, obj):
        return obj.ooh_flagged

    @admin.display(description=_("split by the calendar"))
    def split(self, obj):
        return format_html(
            "{}: {} · {}: {} · {}: {}",
            _("business hours"), hours(obj.business_seconds),
            _("out of hours, approved (×2)"), hours(obj.approved_ooh_seconds),
            _("out of hours, not approved"), hours(obj.unapproved_ooh_seconds),
        )

    def save_model(self, request, obj, form, change):
        services.time_entry_save(entry=obj, actor=request.user)

    def delete_model(self, request, obj):
        try:
            services.time_entry_delete(entry=obj, actor=request.user)
        except (ActionRefused, ValidationError) as exc:
            raise PermissionDenied(getattr(exc, "message", None) or " ".join(exc.messages))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.action(description=_("Mark reviewed: the unapproved out-of-hours time is billed once"))
    def mark_reviewed(self, request, queryset):
        count = services.time_entries_mark_reviewed(entries=list(queryset), actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d entry marked reviewed.", "%(count)d entries marked reviewed.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_manager:
            actions.pop("mark_reviewed", None)
        return actions


# --- update installation schedules -------------------------------------------------


@admin.register(UpdateSchedule)
class UpdateScheduleAdmin(TicketColumnsMixin, StaffAdmin):
    form = UpdateScheduleAdminForm
    list_display = ("window", "ticket_link", "organisation", "estimate_hours", "agreed_with")
    list_display_links = ("window",)
    list_select_related = ("ticket", "ticket__organisation", "agreed_with")
    search_fields = ("ticket__number", "ticket__subject", "ticket__organisation__name")
    autocomplete_fields = ("ticket", "agreed_with")

    def has_change_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    @admin.display(description=_("window"), ordering="window_start")
    def window(self, obj):
        return calendar_window(obj.window_start, obj.window_end)

    def save_model(self, request, obj, form, change):
        services.update_schedule_save(schedule=obj, actor=request.user)


# --- statements --------------------------------------------------------------------


class StatementLineInline(TabularInline):
    model = StatementLine
    extra = 0
    can_delete = False
    fields = ("ticket_number", "ticket_subject", "entries_count", "business", "approved_ooh",
              "unapproved_ooh", "billable", "not_billable")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    @admin.display(description=_("business h"))
    def business(self, obj):
        return hours(obj.business_seconds)

    @admin.display(description=_("out of hours, approved h (×2)"))
    def approved_ooh(self, obj):
        return hours(obj.approved_ooh_seconds)

    @admin.display(description=_("out of hours, not approved h"))
    def unapproved_ooh(self, obj):
        return hours(obj.unapproved_ooh_seconds)

    @admin.display(description=_("billable total h"))
    def billable(self, obj):
        return hours(obj.billable_seconds)

    @admin.display(description=_("not billable h"))
    def not_billable(self, obj):
        return hours(obj.non_billable_seconds)


@admin.register(Statement)
class StatementAdmin(StaffAdmin):
    change_form_template = "admin/billing/statement/change_form.html"
    inlines = (StatementLineInline,)
    list_display = ("organisation", "month_label", "status", "tickets_count", "billable",
                    "revision", "generated_at", "csv_link")
    list_filter = ("status", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("organisation__name",)
    date_hierarchy = "month"
    fields = ("organisation", "month_label", "status", "revision", "generated_at",
              "tickets_count", "figures", "responded_by", "responded_at", "response_comment")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, obj):
        return obj.month.strftime("%Y-%m")

    @admin.display(description=_("billable total h"), ordering="billable_seconds")
    def billable(self, obj):
        return hours(obj.billable_seconds)

    @admin.display(description=_("totals"))
    def figures(self, obj):
        return format_html(
            "{}: {} · {}: {} · {}: {} · {}: {} · {}: {}",
            _("business hours"), hours(obj.business_seconds),
            _("out of hours, approved (×2)"), hours(obj.approved_ooh_seconds),
            _("out of hours, not approved"), hours(obj.unapproved_ooh_seconds),
            _("billable total"), hours(obj.billable_seconds),
            _("not billable"), hours(obj.non_billable_seconds),
        )

    @admin.display(description=_("CSV"))
    def csv_link(self, obj):
        url = reverse("admin:billing_statement_csv", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["csv_url"] = reverse("admin:billing_statement_csv", args=[obj.pk])
            context["may_reissue"] = (
                request.user.is_manager and obj.status == StatementStatus.DISPUTED
            )
            context["reissue_url"] = reverse("admin:billing_statement_reissue", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/csv/", wrap(self.csv_view), name="billing_statement_csv"),
            path("<path:object_id>/reissue/", wrap(require_POST(self.reissue_view)),
                 name="billing_statement_reissue"),
            *super().get_urls(),
        ]

    def _statement(self, request, object_id) -> Statement:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        return obj

    def csv_view(self, request, object_id):
        return csv_response(self._statement(request, object_id))

    def reissue_view(self, request, object_id):
        obj = self._statement(request, object_id)
        try:
            statements.statement_reissue(statement=obj, actor=request.user)
        except ActionRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("The statement is reissued; the representatives are "
                                         "mailed."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:billing_statement_change", args=[obj.pk]))
