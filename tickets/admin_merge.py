"""The ticket page's "Merge into…": pick the original by number, confirm, merge.

Two steps, like the other two-step pages: the first finds the original and asks the
service's rules at once; the confirmation shows both subjects and carries both statuses
the agent saw, so a change made by someone else in between is refused and the page
comes back ready for one more click.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from core.admin_widgets import UnfoldWidgetsMixin
from tickets import services
from tickets.admin_forms import _number_placeholder, ticket_by_number
from tickets.models import Ticket


def can_merge(user, ticket: Ticket) -> bool:
    """The page offers "Merge into…" on a ticket that could still close as a duplicate."""
    return user.is_contractor and can_proceed(ticket.mark_duplicate, check_conditions=False)


class MergeForm(UnfoldWidgetsMixin, forms.Form):
    original = forms.CharField(
        label=gettext_lazy("Merge into ticket"),
        max_length=32,
        help_text=gettext_lazy(
            "The number of the open ticket of the same organisation that stays. This "
            "ticket's comments and files move there, its watchers and requester follow "
            "it, and this ticket closes as its duplicate."
        ),
    )
    expected_status = forms.CharField(widget=forms.HiddenInput, required=False)
    expected_original_status = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, duplicate: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicate = duplicate
        self.fields["original"].widget.attrs.update(_number_placeholder())

    def clean_original(self) -> Ticket:
        original = ticket_by_number(self.cleaned_data["original"].strip())
        refusal = services.merge_refusal(self.duplicate, original)
        if refusal is not None:
            raise ValidationError(refusal.message, code=refusal.code)
        return original


def merge_view(model_admin, request, object_id):
    duplicate = model_admin.get_object(request, object_id)
    if duplicate is None:
        raise Http404
    if not model_admin.has_change_permission(request, duplicate):
        raise PermissionDenied
    back = reverse("admin:tickets_ticket_change", args=[duplicate.pk])
    if not can_merge(request.user, duplicate):
        model_admin.message_user(
            request,
            _("A ticket that is “%(status)s” cannot be merged into another.")
            % {"status": duplicate.get_status_display()},
            messages.ERROR,
        )
        return HttpResponseRedirect(back)
    confirming = False
    if request.method == "POST":
        form = MergeForm(request.POST, duplicate=duplicate)
        if form.is_valid():
            data = form.cleaned_data
            original = data["original"]
            if "confirm" not in request.POST:
                confirming = True
                form = MergeForm(
                    initial={
                        "original": original.number,
                        "expected_status": data["expected_status"] or duplicate.status,
                        "expected_original_status": original.status,
                    },
                    duplicate=duplicate,
                )
                form.original_ticket = original
            else:
                try:
                    result = services.ticket_merge(
                        ticket=duplicate,
                        actor=request.user,
                        original=original,
                        expected_status=data["expected_status"],
                        expected_original_status=data["expected_original_status"],
                    )
                except services.ActionRefused as exc:
                    model_admin.message_user(request, exc.message, messages.ERROR)
                    if exc.code != "concurrent":
                        return HttpResponseRedirect(back)
                    # Someone changed one of them: confirm again on what they are now.
                    duplicate.refresh_from_db()
                    original.refresh_from_db()
                    confirming = True
                    form = MergeForm(
                        initial={
                            "original": original.number,
                            "expected_status": duplicate.status,
                            "expected_original_status": original.status,
                        },
                        duplicate=duplicate,
                    )
                    form.original_ticket = original
                else:
                    model_admin.message_user(
                        request,
                        _(
                            "%(duplicate)s is merged into %(original)s (comments moved: "
                            "%(comments)s, files moved: %(files)s)."
                        )
                        % {
                            "duplicate": duplicate.number,
                            "original": original.number,
                            "comments": result.comments,
                            "files": result.files,
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:tickets_ticket_change", args=[original.pk])
                    )
    else:
        form = MergeForm(
            initial={"expected_status": request.GET.get("expected_status") or duplicate.status},
            duplicate=duplicate,
        )
    context = model_admin.admin_site.each_context(request) | {
        "opts": model_admin.opts,
        "original": duplicate,
        "title": _("Merge %(number)s into another ticket") % {"number": duplicate.number},
        "form": form,
        "confirming": confirming,
        "into": getattr(form, "original_ticket", None),
    }
    return render(request, "admin/tickets/ticket/merge_form.html", context)
