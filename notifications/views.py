"""A person's own mail settings in the portal."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications import services
from notifications.models import NotificationPreference


class MailSettingsForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language of your e-mail"), choices=())
    mute_non_essential = forms.BooleanField(
        label=gettext_lazy("Send me only essential mail"),
        required=False,
        help_text=NotificationPreference._meta.get_field("mute_non_essential").help_text,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES


@login_required
def mail_settings(request):
    user = request.user
    preference = NotificationPreference.objects.filter(user=user).first()
    initial = {
        "language": user.language,
        "mute_non_essential": bool(preference and preference.mute_non_essential),
    }
    form = MailSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.preference_set_muted(user=user, muted=form.cleaned_data["mute_non_essential"])
        services.preference_set_language(user=user, language=form.cleaned_data["language"])
        messages.success(request, _("Your mail settings are saved."))
        return redirect("mail_settings")
    return render(request, "notifications/mail_settings.html", {"form": form})
