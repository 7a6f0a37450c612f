"""Staff members' own views of the ticket list: saved, replaced and deleted by their owner."""

from collections.abc import Collection

from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from core.staff import is_contractor_staff
from tickets.models import SavedView


def saved_view_query(query: str, *, allowed: Collection[str]) -> str:
    """The list's query string with only the parameters the list accepts (its filters,
    search and order; never the page number, a popup's or an error's marker), and no
    empty ones, in a stable order."""
    params = QueryDict(query)
    pairs = [
        (key, value)
        for key in sorted(params)
        if key in allowed
        for value in params.getlist(key)
        if value.strip()
    ]
    return urlencode(pairs)


def saved_view_save(
    *, owner, name: str, query: str, allowed: Collection[str]
) -> tuple[SavedView, bool]:
    """A staff member saves the list they are looking at under a name of their own. The
    same name again (whatever its letter case) replaces that view: ``(view, True)``."""
    if not is_contractor_staff(owner):
        raise ActionRefused(_("Only the contractor's staff can do that."), code="forbidden")
    name = name.strip()
    if not name:
        raise ActionRefused(_("Give the view a name."), code="name_required")
    if len(name) > SavedView.NAME_MAX_LENGTH:
        raise ActionRefused(
            _("A view's name is at most %(limit)d characters; this one has %(length)d.")
            % {"limit": SavedView.NAME_MAX_LENGTH, "length": len(name)},
            code="name_too_long",
        )
    query = saved_view_query(query, allowed=allowed)
    if not query:
        raise ActionRefused(
            _("There is nothing to save: this list has no filters, search or order."),
            code="empty",
        )
    if len(query) > SavedView.QUERY_MAX_LENGTH:
        raise ActionRefused(_("This list has too many filters to be saved."), code="too_long")
    with transaction.atomic():
        view = _own(owner, name)
        if view is None:
            try:
                with transaction.atomic():
                    return SavedView.objects.create(owner=owner, name=name, query=query), False
            except IntegrityError:  # the same name saved at the same moment (a double post)
                view = _own(owner, name)
        view.name, view.query = name, query
        view.save(update_fields=["name", "query", "updated_at"])
        return view, True


def _own(owner, name: str) -> SavedView | None:
    return SavedView.objects.select_for_update().filter(owner=owner, name__iexact=name).first()


def saved_view_delete(*, owner, view_id: int) -> SavedView:
    """The owner deletes one of their views; nobody else's can be."""
    deleted = SavedView.objects.filter(owner=owner, pk=view_id).first()
    if deleted is None:
        raise ActionRefused(_("You have no such view (deleted already?)."), code="not_found")
    deleted.delete()
    return deleted
