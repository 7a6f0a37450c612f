"""A person's own mail settings in the portal."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from notifications import services
from notifications.models import NotificationPreference
from notifications.tokens import user_id_from_unsubscribe_token


class MailSettingsForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language of your e-mail"), choices=())
    mute_non_essential = forms.BooleanField(
        label=gettext_lazy("Send me only essential mail"),
        required=False,
        help_text=NotificationPreference._meta.get_field("mute_non_essential").help_text,
    )
    representative_immediate = forms.BooleanField(
        label=gettext_lazy("Mail about colleagues' tickets at once, not in a daily digest"),
        required=False,
        help_text=NotificationPreference._meta.get_field("representative_immediate").help_text,
    )

    def __init__(self, *args, representative: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
        if not representative:
            del self.fields["representative_immediate"]


@login_required
def mail_settings(request):
    user = request.user
    preference = NotificationPreference.objects.filter(user=user).first()
    initial = {
        "language": user.language,
        "mute_non_essential": bool(preference and preference.mute_non_essential),
        "representative_immediate": bool(preference and preference.representative_immediate),
    }
    representative = bool(getattr(user, "is_representative", False))
    form = MailSettingsForm(request.POST or None, initial=initial, representative=representative)
    if request.method == "POST" and form.is_valid():
        services.preference_set_muted(user=user, muted=form.cleaned_data["mute_non_essential"])
        if representative:
            services.preference_set_representative_immediate(
                user=user, immediate=form.cleaned_data["representative_immediate"]
            )
        services.preference_set_language(user=user, language=form.cleaned_data["language"])
        messages.success(request, _("Your mail settings are saved."))
        return redirect("mail_settings")
    return render(request, "notifications/mail_settings.html", {"form": form})


@csrf_exempt  # RFC 8058: the mail client posts without a session; the signed token is the proof
def unsubscribe(request, token: str):
    """The one-click unsubscribe of a mail: mutes non-essential mail (essential mail, such
    as a rejection or an SLA breach, still comes). GET asks, POST does it."""
    user_id = user_id_from_unsubscribe_token(token)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise Http404
    done = request.method == "POST"
    if done:
        services.preference_set_muted(user=user, muted=True)
    return render(request, "notifications/unsubscribe.html", {"done": done, "token": token})
