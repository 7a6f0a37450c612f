"""Organisations and people in the staff admin.

Access follows the role, not Django's model permissions: contractor staff look people
and contracts up; only managers add and change them; only a superuser deletes.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import CONTRACTOR_ROLES, CUSTOMER_ROLES, Organisation, User


def is_contractor_staff(user) -> bool:
    """The contractor's agents and managers (and a superuser): who enters the staff admin."""
    return user.is_active and (user.is_contractor or user.is_superuser)


class ManagedByManagersMixin:
    """Contractor staff may look; managers add and change; only a superuser deletes."""

    def has_module_permission(self, request):
        return is_contractor_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_contractor_staff(request.user)

    def has_add_permission(self, request):
        return request.user.is_manager

    def has_change_permission(self, request, obj=None):
        return request.user.is_manager

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


# --- organisations -----------------------------------------------------------------


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ("name", "contract_number", "contract_start", "contract_end", "is_active")

    def clean(self):
        data = super().clean()
        start, end = data.get("contract_start"), data.get("contract_end")
        if start and end and end < start:
            self.add_error("contract_end", _("The contract cannot end before it starts."))
        return data


class ContractFilter(admin.SimpleListFilter):
    title = _("contract")
    parameter_name = "contract"

    def lookups(self, request, model_admin):
        return [
            ("active", _("In force today")),
            ("expired", _("Expired")),
            ("future", _("Not started yet")),
            ("none", _("No start date")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        in_force = Q(contract_start__lte=today) & (
            Q(contract_end__isnull=True) | Q(contract_end__gte=today)
        )
        conditions = {
            "active": in_force,
            "expired": Q(contract_end__lt=today),
            "future": Q(contract_start__gt=today),
            "none": Q(contract_start__isnull=True),
        }
        condition = conditions.get(self.value())
        return queryset if condition is None else queryset.filter(condition)


@admin.register(Organisation)
class OrganisationAdmin(ManagedByManagersMixin, admin.ModelAdmin):
    form = OrganisationForm
    list_display = (
        "name", "contract_number", "contract_start", "contract_end", "is_active", "members",
    )
    list_filter = ("is_active", ContractFilter, "contract_end")
    search_fields = ("name", "contract_number")
    ordering = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def members(self, obj: Organisation):
        url = reverse("admin:accounts_user_changelist")
        return format_html(
            '<a href="{}?organisation__id__exact={}">{}</a>', url, obj.pk, obj.member_count
        )


# --- users -------------------------------------------------------------------------


class RoleRulesMixin:
    """The rules of the user table, said in words instead of an IntegrityError."""

    def clean_email(self) -> str:
        # Stored lower-case (User.save): check uniqueness on the stored form.
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        role, organisation = data.get("role"), data.get("organisation")
        if role in CUSTOMER_ROLES and organisation is None:
            self.add_error("organisation", _("A customer's employee must have an organisation."))
        elif role in CONTRACTOR_ROLES and organisation is not None:
            self.add_error(
                "organisation", _("Contractor staff belong to no organisation; leave it empty.")
            )
        return data


class UserCreateForm(RoleRulesMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role", "organisation", "language")


class UserEditForm(RoleRulesMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(ManagedByManagersMixin, BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    list_display = ("email", "full_name", "role", "organisation", "is_active")
    list_filter = ("role", "is_active", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("email", "full_name", "organisation__name")
    ordering = ("email",)
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "language")}),
        (_("Role"), {"fields": ("role", "organisation", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email", "full_name", "role", "organisation", "language",
                    "usable_password", "password1", "password2",
                ),
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not request.user.is_superuser:
            return fieldsets
        return (*fieldsets, (_("Superuser"), {"fields": ("is_superuser",)}))

    def has_change_permission(self, request, obj=None):
        # A manager must not take over a superuser's account (password, e-mail).
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)
