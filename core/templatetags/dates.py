"""Dates as the portal writes them everywhere, mail included."""

import datetime

from django import template
from django.utils import timezone

from core import dates

register = template.Library()


@register.filter
def gmt(moment: datetime.datetime | None) -> str:
    """'GMT+3': the offset of the current time zone (the one ``date`` writes in) at that
    moment, clearer to a reader abroad than "MSK"."""
    if not moment:
        return ""
    return dates.gmt_label(moment, timezone.get_current_timezone())


@register.filter
def ago(moment: datetime.datetime | None) -> str:
    """'3 hours ago', the exact moment on hover: ``<time datetime title>``."""
    return dates.relative_time(moment)
