"""Staff members' own saved views of the ticket list, in the staff admin.

The list's "Save this view" form and each view's delete button post to the list's own
address (with its query string), so a refused name shows the same list again with the
typed name kept, and every link of the page stays the list's. What is stored is the
list's query string cleaned by ``services.saved_view_save``: only the parameters of the
list's filters, its search and its order.
"""

import copy

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpResponseRedirect, QueryDict
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import selectors, services
from tickets.models import SavedView

SAVE, DELETE = "save_view", "delete_view"
PREFIX = "saved_view"


class SavedViewForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Save this view as"),
        required=False,  # the service says what a name needs
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": SavedView.NAME_MAX_LENGTH, "size": 24}),
    )


def list_parameters(filter_specs) -> set[str]:
    """The query parameters the ticket list accepts: its filters', its search and order."""
    names = {SEARCH_VAR, ORDER_VAR}
    for spec in filter_specs:
        names.update(spec.expected_parameters())
    return names


def is_saved_view_post(request) -> bool:
    return request.method == "POST" and (SAVE in request.POST or DELETE in request.POST)


def handle_post(model_admin, request):
    """Save the list shown (its query string) under the typed name, or delete one of the
    user's views; then the list again."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if DELETE in request.POST:
        return _delete(model_admin, request)
    return _save(model_admin, request)


def _save(model_admin, request):
    form = SavedViewForm(request.POST, prefix=PREFIX)
    form.is_valid()
    try:
        # The parameters of the list's filters (the same whatever they are set to), then
        # the list's query string cleaned of every other one, and shown once to be sure.
        allowed = list_parameters(_changelist(model_admin, request, QueryDict()).filter_specs)
        query = services.saved_view_query(request.GET.urlencode(), allowed=allowed)
        _changelist(model_admin, request, QueryDict(query))
        view, replaced = services.saved_view_save(
            owner=request.user, name=form.cleaned_data["name"], query=query, allowed=allowed
        )
    except (IncorrectLookupParameters, SuspiciousOperation):
        reason = _("This list cannot be shown, so it cannot be saved.")
    except services.ActionRefused as exc:
        reason = exc.message
    else:
        text = (
            _("Your view “%(name)s” now shows this list (it replaced the one saved before).")
            if replaced
            else _("Saved this list as your view “%(name)s”.")
        )
        model_admin.message_user(request, text % {"name": view.name}, messages.SUCCESS)
        return HttpResponseRedirect(_list_url(model_admin, view.query))
    form.add_error("name", reason)
    model_admin.message_user(
        request, _("The view was not saved: %(reason)s") % {"reason": reason}, messages.ERROR
    )
    listing = copy.copy(request)
    listing.method = "GET"
    return model_admin.changelist_view(listing, extra_context={"save_view_form": form})


def _delete(model_admin, request):
    try:
        view_id = int(request.POST.get(DELETE, ""))
        deleted = services.saved_view_delete(owner=request.user, view_id=view_id)
    except ValueError:
        model_admin.message_user(request, _("Choose a view to delete."), messages.ERROR)
    except services.ActionRefused as exc:
        model_admin.message_user(request, exc.message, messages.ERROR)
    else:
        model_admin.message_user(
            request, _("Deleted your view “%(name)s”.") % {"name": deleted.name}, messages.SUCCESS
        )
    return HttpResponseRedirect(request.get_full_path())


def _changelist(model_admin, request, query: QueryDict):
    """The list for this query (its filters, search and order), no page of it fetched."""
    listing = copy.copy(request)
    listing.method = "GET"
    listing.GET = query
    listing.filters_only = True
    return model_admin.get_changelist_instance(listing)


def _list_url(model_admin, query: str) -> str:
    meta = model_admin.opts
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return f"{url}?{query}" if query else url


def save_form_for(request, changelist) -> SavedViewForm | None:
    """The "Save this view" form, when the list shown has filters, a search or an order."""
    allowed = list_parameters(changelist.filter_specs)
    if not services.saved_view_query(request.GET.urlencode(), allowed=allowed):
        return None
    return SavedViewForm(prefix=PREFIX)


def saved_view_choices(request, changelist, built_in: list[dict]):
    """The list's first filter: the built-in queues, then the user's own views (one
    query), each a link to its query string with a delete button. The view whose query
    is the list shown is the selected one."""
    own = list(selectors.saved_views_of(request.user))
    shown = services.saved_view_query(
        request.GET.urlencode(), allowed=list_parameters(changelist.filter_specs)
    )
    chosen = next((view for view in own if view.query == shown), None)
    for choice in built_in:
        yield {**choice, "selected": choice["selected"] and chosen is None}
    if not own:
        return
    yield {"heading": _("My views")}
    token, here = get_token(request), request.get_full_path()
    for view in own:
        yield {
            "selected": view is chosen,
            "query_string": f"?{view.query}",
            "display": view.name,
            "saved_view": view,
            "delete_name": DELETE,
            "delete_label": _("Delete the view “%(name)s”") % {"name": view.name},
            "action": here,
            "csrf_token": token,
        }
