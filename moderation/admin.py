"""Word lists and flags in the staff admin.

Contractor staff see everything here; managers edit the word lists; any agent marks
flags reviewed. The review queue itself is the ticket list filtered "flagged for review".
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin

from accounts.admin import ManagedByManagersMixin, is_contractor_staff
from core.admin_widgets import LabelledListEditableMixin
from moderation import services
from moderation.models import AllowedWord, BannedWord, Flag


@admin.register(BannedWord)
class BannedWordAdmin(LabelledListEditableMixin, ManagedByManagersMixin, ModelAdmin):
    list_display = ("word", "language", "match", "is_active", "created_at")
    list_filter = ("language", "match", "is_active")
    list_editable = ("is_active",)
    search_fields = ("word",)
    fields = ("word", "language", "match", "is_active")


@admin.register(AllowedWord)
class AllowedWordAdmin(ManagedByManagersMixin, ModelAdmin):
    list_display = ("word", "note")
    search_fields = ("word", "note")


class ReviewedFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "reviewed"

    def lookups(self, request, model_admin):
        return [("no", _("Waiting for review")), ("yes", _("Reviewed"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(reviewed_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(reviewed_at__isnull=False)
        return queryset


@admin.register(Flag)
class FlagAdmin(ModelAdmin):
    list_display = ("ticket_link", "where", "words_found", "created_at", "reviewed")
    # The ticket column links to the ticket: the flag itself opens from "where" (a link
    # inside the row's own link would leave that one without text).
    list_display_links = ("where",)
    list_filter = (ReviewedFilter,)
    list_select_related = ("ticket", "comment", "reviewed_by")
    search_fields = ("ticket__number", "ticket__subject")
    readonly_fields = (
        "ticket", "comment", "words", "created_at", "reviewed_by", "reviewed_at",
    )
    actions = ["mark_reviewed"]
    ordering = ("-created_at", "-id")

    def has_module_permission(self, request):
        return is_contractor_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    def has_change_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def changelist_view(self, request, extra_context=None):
        queue = reverse("admin:tickets_ticket_changelist") + "?flagged=yes"
        return super().changelist_view(request, {**(extra_context or {}), "queue_url": queue})

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_link(self, obj: Flag):
        url = reverse("admin:tickets_ticket_change", args=[obj.ticket_id])
        return format_html('<a href="{}">{}</a> {}', url, obj.ticket.number, obj.ticket.subject)

    @admin.display(description=_("where"))
    def where(self, obj: Flag) -> str:
        return _("comment") if obj.comment_id else _("subject or description")

    @admin.display(description=_("words found"))
    def words_found(self, obj: Flag) -> str:
        return ", ".join(obj.words)

    @admin.display(description=_("reviewed"), boolean=True, ordering="reviewed_at")
    def reviewed(self, obj: Flag) -> bool:
        return obj.is_reviewed

    @admin.action(description=_("Mark reviewed"))
    def mark_reviewed(self, request, queryset):
        count = services.flags_mark_reviewed(flags=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d flag marked reviewed.", "%(count)d flags marked reviewed.", count)
            % {"count": count},
            messages.SUCCESS,
        )
