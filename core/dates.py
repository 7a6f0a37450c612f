"""Writing moments the one way the portal does."""

import datetime


def gmt_label(moment: datetime.datetime, zone: datetime.tzinfo) -> str:
    """'GMT+3' for Moscow: the offset of ``zone`` in force at that moment."""
    offset = moment.astimezone(zone).utcoffset() or datetime.timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    minutes = rest // 60
    return f"GMT{hours:+d}" + (f":{minutes:02d}" if minutes else "")
