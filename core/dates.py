"""Writing moments the one way the portal does."""

import datetime
import functools

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language


def gmt_label(moment: datetime.datetime, zone: datetime.tzinfo) -> str:
    """'GMT+3' for Moscow: the offset of ``zone`` in force at that moment."""
    offset = moment.astimezone(zone).utcoffset() or datetime.timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    minutes = rest // 60
    return f"GMT{hours:+d}" + (f":{minutes:02d}" if minutes else "")


def exact_text(moment: datetime.datetime) -> str:
    """'1 Dec 2026, 14:24 (GMT+3)': the moment in the current time zone, the portal's one
    date format (helpdesk/formats) and its offset."""
    return _exact_text(moment, timezone.get_current_timezone(), get_language())


# A moment reads the same in a given zone and language: lists show the same tickets'
# moments page after page (a few thousand kept per process).
@functools.lru_cache(maxsize=4096)
def _exact_text(moment: datetime.datetime, zone: datetime.tzinfo, language: str | None) -> str:
    local = moment.astimezone(zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({gmt_label(local, zone)})"


def relative_time(moment: datetime.datetime | None) -> SafeString | str:
    """'3 hours ago' (django.contrib.humanize's words, in the current language) as a
    ``<time>`` whose title is the exact moment, shown on hover, and whose ``datetime`` is
    machine-readable."""
    if not moment:
        return ""
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(timespec="seconds"),
        exact_text(moment),
        naturaltime(moment),
    )
