"""Dates as the portal writes them everywhere, mail included."""

import datetime

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def gmt(moment: datetime.datetime | None) -> str:
    """'GMT+3': the offset of the current time zone (the one ``date`` writes in) at that
    moment, clearer to a reader abroad than "MSK"."""
    if not moment:
        return ""
    offset = timezone.localtime(moment).utcoffset() or datetime.timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    return f"GMT{hours:+d}" + (f":{rest // 60:02d}" if rest else "")


@register.filter
def when(moment: datetime.datetime | None) -> str:
    """'1 Dec 2026, 14:24' / '1 дек. 2026, 14:24', in the current time zone."""
    if not moment:
        return ""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
