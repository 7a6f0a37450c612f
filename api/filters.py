"""The ticket list's filters, as query parameters; unknown values are a 400."""

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from sla.models import Priority
from tickets import search
from tickets.models import OPEN_STATUSES, Status, TicketType


def _bad(name: str, value: str):
    return ValidationError({name: [_("“%(value)s” is not a valid value.") % {"value": value}]})


def _person(request, name: str, value: str, *, allow_none: bool):
    if value == "me":
        return request.user.pk
    if allow_none and value == "none":
        return None
    if value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    raise _bad(name, value)


def filter_tickets(request, tickets):
    params = request.query_params
    value = params.get("status")
    if value == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif value:
        if value not in Status.values:
            raise _bad("status", value)
        tickets = tickets.filter(status=value)
    if value := params.get("type"):
        if value not in TicketType.values:
            raise _bad("type", value)
        tickets = tickets.filter(type=value)
    if value := params.get("priority"):
        if value not in {str(p) for p in Priority.values}:
            raise _bad("priority", value)
        tickets = tickets.filter(priority=int(value))
    if value := params.get("assignee"):
        tickets = tickets.filter(assignee_id=_person(request, "assignee", value, allow_none=True))
    if value := params.get("requester"):
        requester = _person(request, "requester", value, allow_none=False)
        tickets = tickets.filter(requester_id=requester)
    if value := params.get("updated_since"):
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise ValidationError(
                {"updated_since": [_("Give a date and time with its offset (ISO 8601).")]}
            )
        tickets = tickets.filter(updated_at__gte=moment)
    if value := params.get("q", "").strip()[:200]:
        # Words as on the search page, or a number, in the list's own (cursor) order.
        condition = search.matching(value)
        tickets = tickets if condition is None else tickets.filter(condition)
    return tickets
