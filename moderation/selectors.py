"""Reads of the moderation app that the ticket admin and the portal share."""

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from moderation.models import Flag


def open_flags() -> QuerySet[Flag]:
    return Flag.objects.filter(reviewed_at__isnull=True)


def has_open_flag() -> Exists:
    """For annotating tickets: flagged and not reviewed yet (the review queue)."""
    return Exists(open_flags().filter(ticket=OuterRef("pk")))


def open_flag_words() -> Subquery:
    """For annotating tickets: the words of the latest open flag."""
    latest = open_flags().filter(ticket=OuterRef("pk")).order_by("-created_at", "-id")
    return Subquery(latest.values("words")[:1])


def open_flags_of(ticket) -> list[Flag]:
    return list(open_flags().filter(ticket=ticket).select_related("comment"))
