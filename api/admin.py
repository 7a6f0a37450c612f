"""Staff create their own API tokens here (shown once); managers see and revoke anyone's."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke
from core.admin_widgets import UnfoldWidgetsMixin


class ApiTokenAddForm(UnfoldWidgetsMixin, forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "scope", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    list_display = ["name", "user", "scope", "prefix", "created_at", "expires_at", "last_used_at",
                    "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "user__email", "prefix"]
    actions = ["revoke"]

    def get_queryset(self, request):
        tokens = super().get_queryset(request).select_related("user")
        return tokens if request.user.is_manager else tokens.filter(user=request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_contractor

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_view_permission

    def has_change_permission(self, request, obj=None):
        return False  # a token is created and revoked, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens stay listed, with when they were revoked

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        token, raw = api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.cleaned_data["expires_at"],
        )
        obj.pk = token.pk
        messages.warning(
            request,
            _("Your new token (copy it now; it is not shown again): %(token)s") % {"token": raw},
        )

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, actor=request.user)
        messages.success(request, _("The tokens are revoked."))
