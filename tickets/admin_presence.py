"""The staff ticket page's poll: who else is there, and whether the ticket changed.

``static/js/ticket_presence.js`` posts here (CSRF-protected) every
``PRESENCE_POLL_SECONDS``; staff only, for a ticket they may see. Without the script
nothing is posted and the page works as before, without the notices.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _

from tickets import presence, services


def notice(entry: dict) -> str:
    if entry["state"] == presence.TYPING:
        return _("%(name)s is replying…") % {"name": entry["name"]}
    return _("%(name)s is viewing this ticket") % {"name": entry["name"]}


def presence_view(model_admin, request, object_id):
    """Record the heartbeat; answer with the others present and whether someone changed
    the ticket since the page (its ``seen`` token) was shown."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    ticket = model_admin.get_object(request, object_id)
    if ticket is None:
        raise Http404
    state = request.POST.get("state", presence.VIEWING)
    if state not in presence.STATES:
        state = presence.VIEWING
    others = presence.heartbeat(ticket_id=ticket.pk, user=request.user, state=state)
    seen = request.POST.get("seen", "")
    changed = bool(seen) and seen != services.seen_state(ticket)
    return JsonResponse(
        {
            "others": [{**entry, "text": notice(entry)} for entry in others],
            "changed": changed,
            "changed_text": _(
                "Someone else changed this ticket since you opened it. If you send now, "
                "you are shown what changed first, with your text kept."
            )
            if changed
            else "",
        }
    )

