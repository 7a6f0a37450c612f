"""Staff subscribe endpoints for every ticket here (the secret is shown once), see every
subscription with its failures, reactivate it, and redeliver failed deliveries."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin, TabularInline

from core.admin_widgets import UnfoldWidgetsMixin
from core.errors import ActionRefused
from core.staff import is_contractor_staff
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, Subscription, WebhookEvent
from webhooks.targets import TargetRefused, target_resolve


class StaffOnly:
    def has_module_permission(self, request):
        return is_contractor_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_contractor_staff(request.user)


class SubscriptionAddForm(UnfoldWidgetsMixin, forms.ModelForm):
    target_url = forms.URLField(
        label=gettext_lazy("target URL"), max_length=500, assume_scheme="https"
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("events"), choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Subscription
        fields = ["target_url", "organisation", "events"]

    def clean_target_url(self):
        url = self.cleaned_data["target_url"]
        try:
            target_resolve(url)
        except TargetRefused as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return url


@admin.register(Subscription)
class SubscriptionAdmin(StaffOnly, ModelAdmin):
    list_display = ["target_url", "owner", "organisation", "is_active", "failure_count",
                    "created_at"]
    list_filter = ["is_active"]
    search_fields = ["target_url", "owner__email"]
    list_select_related = ["owner", "organisation"]
    readonly_fields = ["owner", "organisation", "target_url", "events", "is_active",
                       "failure_count", "disabled_reason", "disabled_at", "created_at"]
    actions = ["activate", "deactivate"]

    def has_add_permission(self, request):
        return is_contractor_staff(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # changed through the actions (and the API), never edited here

    def has_delete_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = SubscriptionAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        organisation = data.get("organisation")
        try:
            created, secret = services.subscription_create(
                user=request.user, target_url=data["target_url"], events=data["events"],
                organisation_id=organisation.pk if organisation else None,
            )
        except ActionRefused as exc:
            messages.error(request, exc.message)
            return
        obj.pk = created.pk
        messages.warning(
            request,
            _("The signing secret (copy it now; it is not shown again): %(secret)s")
            % {"secret": secret},
        )

    @admin.action(description=gettext_lazy("Activate (clears the failures)"))
    def activate(self, request, queryset):
        for subscription in queryset:
            services.subscription_update(subscription=subscription, is_active=True)
        messages.success(request, _("The subscriptions are active."))

    @admin.action(description=gettext_lazy("Deactivate"))
    def deactivate(self, request, queryset):
        for subscription in queryset:
            services.subscription_update(subscription=subscription, is_active=False)
        messages.success(request, _("The subscriptions are inactive."))


class AttemptInline(TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ["number", "at", "status_code", "duration_ms", "error"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(StaffOnly, ModelAdmin):
    list_display = ["id", "event_type", "subscription", "status", "attempts", "last_status_code",
                    "created_at"]
    list_filter = ["status", "event_type"]
    list_select_related = ["subscription"]
    readonly_fields = ["id", "subscription", "event_id", "event_type", "payload", "status",
                       "attempts", "last_status_code", "last_error", "created_at",
                       "next_attempt_at", "delivered_at"]
    exclude = ["claimed_at"]
    inlines = [AttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Deliver again"))
    def redeliver(self, request, queryset):
        done = 0
        for delivery in queryset.select_related("subscription"):
            try:
                done += services.delivery_redeliver(delivery=delivery)
            except ActionRefused as exc:
                messages.warning(request, f"{delivery.pk}: {exc.message}")
        messages.success(request, _("%(n)s deliveries queued again.") % {"n": done})
