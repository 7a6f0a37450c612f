"""The inbound review queue: what came in, what became of it, and what staff do next."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from accounts.admin import is_contractor_staff
from accounts.models import CUSTOMER_ROLES, User
from core.admin_widgets import UnfoldWidgetsMixin
from core.errors import ActionRefused
from mailin import services
from mailin.models import REVIEW_STATUSES, InboundMessage, Status


class ReviewQueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("review", _("Needs review")), ("done", _("Handled"))]

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.filter(status__in=REVIEW_STATUSES)
        if self.value() == "done":
            return queryset.exclude(status__in=REVIEW_STATUSES)
        return queryset


class RequesterForm(UnfoldWidgetsMixin, forms.Form):
    requester = forms.ModelChoiceField(
        label=_("File as a ticket for"),
        queryset=User.objects.filter(role__in=CUSTOMER_ROLES, is_active=True).select_related(
            "organisation"
        ),
    )


@admin.register(InboundMessage)
class InboundMessageAdmin(ModelAdmin):
    list_display = (
        "received_at", "status", "reason", "from_address", "sender_verified", "short_subject",
        "ticket_link", "source",
    )
    list_filter = (ReviewQueueFilter, "status", "reason", "sender_verified", "source")
    search_fields = ("from_address", "from_name", "subject", "message_id", "ticket__number")
    date_hierarchy = "received_at"
    list_select_related = ("ticket",)
    actions = ("discard", "process_again", "accept_as_ticket")
    fieldsets = (
        (None, {"fields": ("status", "reason", "detail", "ticket_link", "comment", "sender")}),
        (_("Mail"), {"fields": (
            "from_name", "from_address", "sender_verified", "to_addresses", "subject", "sent_at",
            "decoded_text",
        )}),
        (_("Delivery"), {"fields": (
            "message_id", "fingerprint", "source", "received_at", "processed_at", "size",
            "envelope_from",
            "envelope_to", "raw_link", "handled_by",
        )}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in InboundMessage._meta.fields]
        return [*fields, "ticket_link", "decoded_text", "raw_link"]

    # Permissions by role, as in the rest of the staff admin: agents triage the queue.
    def has_module_permission(self, request):
        return is_contractor_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    def has_change_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the raw mail is the record: discard instead

    @admin.display(description=_("subject"))
    def short_subject(self, obj):
        return obj.subject[:80]

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_link(self, obj):
        if obj.ticket_id is None:
            return "—"
        try:
            url = reverse("admin:tickets_ticket_change", args=[obj.ticket_id])
        except NoReverseMatch:  # tickets not in the admin
            return obj.ticket.number
        return format_html('<a href="{}">{}</a>', url, obj.ticket.number)

    @admin.display(description=_("raw message"))
    def raw_link(self, obj):
        if not obj.raw:
            return "—"
        url = reverse("admin:mailin_inboundmessage_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a> ({} bytes)', url, _("Download .eml"), obj.size)

    def get_urls(self):
        raw = path(
            "<int:pk>/raw/",
            self.admin_site.admin_view(self.raw_view),
            name="mailin_inboundmessage_raw",
        )
        return [raw, *super().get_urls()]

    def raw_view(self, request, pk):
        """The mail as it arrived, as a download (never shown inline)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        inbound = get_object_or_404(InboundMessage, pk=pk)
        if not inbound.raw:
            raise Http404
        return FileResponse(
            inbound.raw.open("rb"), as_attachment=True, filename=f"inbound-{pk}.eml",
            content_type="message/rfc822",
        )

    @admin.display(description=_("decoded text"))
    def decoded_text(self, obj):
        return format_html(
            '<pre style="white-space: pre-wrap; max-width: 60em">{}</pre>', obj.text or "—"
        )

    def _each(self, request, queryset, service, done_message, **kwargs):
        done = 0
        for inbound in queryset:
            try:
                service(inbound=inbound, actor=request.user, **kwargs)
            except ActionRefused as exc:
                self.message_user(request, f"{inbound}: {exc.message}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Discard the selected mail"))
    def discard(self, request, queryset):
        self._each(request, queryset, services.inbound_discard, _("%(count)s mail(s) discarded."))

    @admin.action(description=_("Process again (after fixing the sender's account)"))
    def process_again(self, request, queryset):
        self._each(
            request, queryset, services.inbound_retry, _("%(count)s mail(s) processed again.")
        )

    @admin.action(description=_("Accept as a ticket for a customer…"))
    def accept_as_ticket(self, request, queryset):
        queryset = queryset.filter(status=Status.HELD)
        if not queryset:
            self.message_user(request, _("Only held mail can be accepted."), messages.WARNING)
            return None
        form = RequesterForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._each(
                request, queryset, services.inbound_accept_as_ticket,
                _("%(count)s ticket(s) filed from e-mail."),
                requester=form.cleaned_data["requester"],
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Accept as a ticket"),
            "queryset": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/mailin/accept_as_ticket.html", context)
