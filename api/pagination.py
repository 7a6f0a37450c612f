"""Cursor pagination: stable under inserts, cheap at any depth."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class TicketCursor(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class EventCursor(BasePagination):
    """The incremental export, oldest first: ``next`` is always there, also at the end of
    the stream (then it points after the last event), so polling it picks up what came
    since. The cursor is the last event id seen (``cursor``, or its older name ``after``)."""

    page_size = 100
    max_page_size = 1000

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        params = request.query_params
        after = params.get("cursor") or params.get("after") or "0"
        if not (after.isascii() and after.isdigit() and len(after) < 19):
            field = "cursor" if "cursor" in params else "after"
            raise ValidationError({field: [_("Give the id of the last event you have.")]})
        size = request.query_params.get("page_size", "")
        size = int(size) if size.isascii() and size.isdigit() else self.page_size
        size = max(1, min(size, self.max_page_size))
        rows = list(queryset.filter(id__gt=int(after)).order_by("id")[: size + 1])
        self.has_more = len(rows) > size
        self.page = rows[:size]
        self.last = self.page[-1].id if self.page else int(after)
        return self.page

    def get_paginated_response(self, data):
        url = remove_query_param(self.request.build_absolute_uri(), "after")
        url = replace_query_param(url, "cursor", self.last)
        return Response({"next": url, "has_more": self.has_more, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "has_more", "results"],
            "properties": {
                "next": {"type": "string", "format": "uri"},
                "has_more": {"type": "boolean"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "cursor", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 0},
             "description": "The id of the last event you have (0: from the start); "
                            "the `next` link carries it."},
            {"name": "after", "in": "query", "required": False, "deprecated": True,
             "schema": {"type": "integer", "minimum": 0},
             "description": "The older name of `cursor`."},
            {"name": "page_size", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]
