from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import REQUESTABLE_ROLES, Role


class EmailAuthenticationForm(AuthenticationForm):
    """Log in with an e-mail address; the field keeps Django's name for django-axes."""

    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _("The e-mail address or the password is wrong. Both are case-sensitive "
                           "except the e-mail address."),
        "inactive": _("This account is inactive."),
    }


class AccountRequestForm(forms.Form):
    """A representative asks for an account for a new colleague."""

    full_name = forms.CharField(
        label=_("Full name"), max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("The invitation to set a password goes to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(role.value, role.label) for role in REQUESTABLE_ROLES],
        initial=Role.CUSTOMER_EMPLOYEE,
        widget=forms.RadioSelect,
        help_text=_(
            "A representative can also request and deactivate accounts and approve work for "
            "your organisation."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of the invitation"), choices=settings.LANGUAGES
    )
    note = forms.CharField(
        label=_("Note for the support team"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class DeactivationRequestForm(forms.Form):
    """A representative asks to deactivate a colleague who left."""

    note = forms.CharField(
        label=_("Note for the support team"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example, the last working day."),
    )


class SecondFactorForm(forms.Form):
    """The code from the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code your authenticator app shows now, or a recovery code."),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "text"}
        ),
    )



class AppCodeForm(SecondFactorForm):
    """The first code of an app being set up (no recovery codes exist yet)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code the app shows now."),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )
