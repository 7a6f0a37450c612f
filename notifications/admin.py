"""The outbox, the suppression list and each person's mail preference in the staff admin.

Contractor staff see what was mailed to whom and why not; they resend a failed mail and
clear a suppressed address. Rows are written by the services only, never by hand.
"""

import json

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, StackedInline

from notifications import delivery, services
from notifications.models import (
    Notification,
    NotificationPreference,
    NotificationStatus,
    SuppressedAddress,
)


def _is_staff(user) -> bool:
    return user.is_active and (user.is_contractor or user.is_superuser)


class StaffOnlyMixin:
    def has_module_permission(self, request):
        return _is_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return _is_staff(request.user)

    def has_change_permission(self, request, obj=None):
        return _is_staff(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


# Facts that grant access (single-use links) and never show in the admin.
SECRET_FACTS = frozenset({"invitation_url", "token", "set_password_url"})


@admin.register(Notification)
class NotificationAdmin(StaffOnlyMixin, ModelAdmin):
    list_display = (
        "created_at",
        "event",
        "ticket_number",
        "to_email",
        "language",
        "status_badge",
        "attempts",
        "sent_at",
        "short_error",
    )
    list_filter = ("status", "event", "suppressed_reason", "audience", "language")
    search_fields = ("to_email", "ticket__number", "message_id", "provider_message_id", "subject")
    date_hierarchy = "created_at"
    list_select_related = ("ticket",)
    actions = ["resend"]
    readonly_fields = [*(f.name for f in Notification._meta.fields), "facts"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "event",
                    "ticket",
                    "recipient",
                    "to_email",
                    "language",
                    "audience",
                    "subject",
                    "facts",
                    "actor",
                )
            },
        ),
        (
            _("Delivery"),
            {
                "fields": (
                    "status",
                    "suppressed_reason",
                    "attempts",
                    "last_error",
                    "next_attempt_at",
                    "claimed_at",
                    "sent_at",
                    "created_at",
                    "failure_reported_at",
                    "digest",
                )
            },
        ),
        (_("Identifiers"), {"fields": ("message_id", "provider_message_id", "id")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields

    @admin.display(description=_("facts"))
    def facts(self, obj: Notification) -> str:
        """The row's facts, minus secrets: a live invitation link must not be read here."""
        shown = {key: ("…" if key in SECRET_FACTS else value) for key, value in obj.context.items()}
        return json.dumps(shown, ensure_ascii=False, indent=1, default=str)

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_number(self, obj):
        return obj.ticket.number if obj.ticket else "—"

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        colours = {
            NotificationStatus.SENT: "#1a7f37",
            NotificationStatus.FAILED: "#cf222e",
            NotificationStatus.SUPPRESSED: "#9a6700",
        }
        label = obj.get_status_display()
        if obj.suppressed_reason:
            label = f"{label}: {obj.get_suppressed_reason_display()}"
        return format_html(
            '<span style="color:{}">{}</span>', colours.get(obj.status, "inherit"), label
        )

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description=_("Send the selected failed or suppressed mails again"))
    def resend(self, request, queryset):
        resent = sum(delivery.notification_resend(notification=n) for n in queryset)
        skipped = queryset.count() - resent
        self.message_user(
            request,
            ngettext("%(count)d mail queued again.", "%(count)d mails queued again.", resent)
            % {"count": resent},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d mail was not failed or suppressed and was left alone.",
                    "%(count)d mails were not failed or suppressed and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(StaffOnlyMixin, ModelAdmin):
    list_display = ("email", "reason", "created_at", "esp_name", "cleared_at", "cleared_by")
    list_filter = ("reason", ("cleared_at", admin.EmptyFieldListFilter))
    search_fields = ("email",)
    readonly_fields = ("created_at", "cleared_at", "cleared_by", "esp_name")
    fields = ("email", "reason", "detail", "esp_name", "created_at", "cleared_at", "cleared_by")
    actions = ["clear"]

    def has_add_permission(self, request):
        return _is_staff(request.user)  # staff may stop mail to an address by hand

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "email") if obj else self.readonly_fields

    @admin.action(description=_("Clear: mail this address again"))
    def clear(self, request, queryset):
        cleared = sum(services.suppression_clear(address=a, by=request.user) for a in queryset)
        self.message_user(
            request,
            ngettext("%(count)d address cleared.", "%(count)d addresses cleared.", cleared)
            % {"count": cleared},
            messages.SUCCESS,
        )


class NotificationPreferenceInline(StackedInline):
    model = NotificationPreference
    can_delete = False
    extra = 0
    max_num = 1
    fields = ("mute_non_essential",)
    verbose_name = _("mail")
    verbose_name_plural = _("mail")

    def has_view_permission(self, request, obj=None):
        return _is_staff(request.user)

    def has_add_permission(self, request, obj=None):
        return request.user.is_manager

    def has_change_permission(self, request, obj=None):
        return request.user.is_manager

    def has_delete_permission(self, request, obj=None):
        return False
