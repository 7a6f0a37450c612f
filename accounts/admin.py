"""Organisations and people in the staff admin.

Access follows the role, not Django's model permissions: contractor staff look people
and contracts up; only managers add and change them; only a superuser deletes.
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_fsm.admin import FSMAdminMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm

from accounts import services
from accounts.models import (
    CONTRACTOR_ROLES,
    CUSTOMER_ROLES,
    AccountRequest,
    AccountRequestKind,
    AccountRequestStatus,
    Organisation,
    User,
)
from core.admin_widgets import UnfoldWidgetsMixin
from core.staff import is_contractor_staff
from notifications.admin import NotificationPreferenceInline


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


class OrganisationForm(UnfoldWidgetsMixin, forms.ModelForm):
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
class OrganisationAdmin(ManagedByManagersMixin, ModelAdmin):
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


class UserCreateForm(UnfoldWidgetsMixin, RoleRulesMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role", "organisation", "language")


class UserEditForm(RoleRulesMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(ManagedByManagersMixin, BaseUserAdmin, ModelAdmin):
    form = UserEditForm
    change_password_form = AdminPasswordChangeForm
    inlines = [NotificationPreferenceInline]  # the person's mute switch
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


# --- account requests --------------------------------------------------------------


class DeclineForm(UnfoldWidgetsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The representative reads this in the mail and in the portal."),
    )


class PendingFilter(admin.SimpleListFilter):
    title = _("decision")
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        return [("pending", _("Awaiting approval")), ("decided", _("Decided"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(status=AccountRequestStatus.PENDING)
        if self.value() == "decided":
            return queryset.exclude(status=AccountRequestStatus.PENDING)
        return queryset


ACCOUNT_REQUEST_FIELDS = (
    "kind", "status", "organisation", "requested_by", "channel", "created_at",
    "full_name", "email", "conflicts", "role", "language", "user", "note",
    "decided_by", "decided_at", "reason",
)


@admin.register(AccountRequest)
class AccountRequestAdmin(ManagedByManagersMixin, FSMAdminMixin, ModelAdmin):
    """Requests come from the representatives; a manager approves or declines them with
    the buttons (from the state machine), agents look only. Nothing here saves a request
    itself: every decision goes through ``accounts.services``."""

    fsm_fields = ["status"]
    fsm_forms = {"decline": DeclineForm}
    change_form_template = "accounts/admin/accountrequest_change_form.html"
    fsm_transition_form_template = "accounts/admin/accountrequest_transition_form.html"

    list_display = (
        "created_at", "kind", "organisation", "person", "role", "status", "requested_by",
        "channel",
    )
    list_filter = (PendingFilter, "status", "kind", "channel", "organisation")
    list_select_related = ("organisation", "requested_by", "user")
    search_fields = ("full_name", "email", "user__email", "user__full_name", "organisation__name")
    ordering = ("-created_at", "-id")
    readonly_fields = ACCOUNT_REQUEST_FIELDS
    fields = ACCOUNT_REQUEST_FIELDS
    actions = ["approve_selected", "resend_invitation"]

    def has_add_permission(self, request):
        return False  # the representative asks in the portal or by e-mail

    @admin.display(description=_("person"))
    def person(self, obj: AccountRequest) -> str:
        return f"{obj.person_name} <{obj.person_email}>"

    @admin.display(description=_("conflicts"))
    def conflicts(self, obj: AccountRequest) -> str:
        """The representative is never told that an address is known elsewhere; the
        manager who decides is."""
        found = services.account_request_conflicts(obj)
        if not found:
            return _("None")
        return format_html_join("", "<p>{}</p>", ((line,) for line in found))

    def get_readonly_fields(self, request, obj=None):
        return ACCOUNT_REQUEST_FIELDS

    def save_model(self, request, obj, form, change):
        pass  # decisions are services, fired by the buttons below

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        transitions = context.get(self.fsm_context_key) or ()
        context[self.fsm_context_key] = list(transitions)
        context.update(
            show_save=False, show_save_and_continue=False, show_save_and_add_another=False,
            show_delete=False,
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @staticmethod
    def get_fsm_block_label(fsm_field_name: str) -> str:
        return _("Decision")

    def fsm_transition_view(self, request, object_id, transition_name, **kwargs):
        if transition_name not in ("approve", "decline"):
            raise Http404
        if not self.has_change_permission(request):
            raise PermissionDenied
        return super().fsm_transition_view(request, object_id, transition_name, **kwargs)

    def response_change(self, request, obj):
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        if request.POST.get(self.fsm_post_param) not in (None, "approve", "decline"):
            raise Http404
        return super().response_change(request, obj)

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None) -> bool:
        try:
            if transition_name == "approve":
                services.account_request_approve(account_request=obj, actor=request.user)
            else:
                reason = (kwargs or {}).get("reason", "")
                services.account_request_decline(
                    account_request=obj, actor=request.user, reason=reason
                )
        except services.AccountRequestRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return False
        obj.refresh_from_db()
        self.message_user(request, self._done(obj), messages.SUCCESS)
        return True

    @staticmethod
    def _done(obj: AccountRequest) -> str:
        if obj.status == AccountRequestStatus.DECLINED:
            return _("The request is declined; the representative is told why.")
        if obj.kind == AccountRequestKind.DEACTIVATION:
            return _("%(person)s is deactivated.") % {"person": obj.person_name}
        return _("The account of %(person)s is created and the invitation sent.") % {
            "person": obj.person_name
        }

    @admin.action(description=_("Approve the selected requests"), permissions=["change"])
    def approve_selected(self, request, queryset):
        approved = 0
        for account_request in queryset.filter(status=AccountRequestStatus.PENDING):
            try:
                services.account_request_approve(
                    account_request=account_request, actor=request.user
                )
            except services.AccountRequestRefused as exc:
                self.message_user(request, f"{account_request}: {exc.message}", messages.ERROR)
            else:
                approved += 1
        self.message_user(
            request,
            ngettext("%(count)d request approved.", "%(count)d requests approved.", approved)
            % {"count": approved},
            messages.SUCCESS if approved else messages.WARNING,
        )

    @admin.action(
        description=_("Send the invitation again (colleagues with no password yet)"),
        permissions=["change"],
    )
    def resend_invitation(self, request, queryset):
        sent = sum(
            services.account_invitation_resend(account_request=r, actor=request.user)
            for r in queryset.select_related("user")
        )
        self.message_user(
            request,
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent)
            % {"count": sent},
            messages.SUCCESS if sent else messages.WARNING,
        )


# --- the admins that come with Django and our security packages, in unfold's look ------


def _in_unfold_look(model) -> None:
    """Register the package's own admin of ``model`` again, on unfold's ModelAdmin: the
    same fields, actions and permissions."""
    package_admin = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    admin.site.register(model, type(package_admin.__name__, (package_admin, ModelAdmin), {}))


for _model in (Group, AccessAttempt, AccessLog, AccessFailureLog, TOTPDevice, StaticDevice):
    _in_unfold_look(_model)
