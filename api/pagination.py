"""Cursor pagination: stable under inserts, cheap at any depth."""

from rest_framework.pagination import CursorPagination


class TicketCursor(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class EventCursor(CursorPagination):
    """The incremental export: oldest first, so the last `next` link is where to go on."""

    ordering = ("id",)
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
