"""One way of writing dates per language, in the portal and in mail."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.utils import formats, timezone, translation

from sla.display import deadline_text
from tests import factories

MSK = ZoneInfo("Europe/Moscow")
MOMENT = datetime.datetime(2026, 12, 1, 14, 24, tzinfo=MSK)


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "1 Dec 2026, 14:24"),
    ("ru", "1 дек. 2026, 14:24"),
])
def test_a_moment_is_written_one_way(language, expected):
    with translation.override(language):
        for name in ("DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"):
            assert formats.date_format(MOMENT, name) == expected


@pytest.mark.parametrize(("language", "month", "expected"), [
    ("en", 5, "1 May 2026"), ("ru", 5, "1 мая 2026"),
    ("en", 9, "1 Sep 2026"), ("ru", 9, "1 сент. 2026"),
])
def test_every_month_has_its_short_name(language, month, expected):
    with translation.override(language):
        assert formats.date_format(MOMENT.replace(month=month), "SHORT_DATE_FORMAT") == expected


def test_never_the_us_order():
    with translation.override("en"):
        assert "12/01" not in formats.date_format(MOMENT, "SHORT_DATE_FORMAT")


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "1 Dec 2026, 14:24 (GMT+3)"),
    ("ru", "1 дек. 2026, 14:24 (GMT+3)"),
])
def test_a_promised_deadline_carries_its_offset(language, expected):
    with translation.override(language):
        assert deadline_text(MOMENT) == expected


def test_mail_writes_the_offset_not_a_zone_abbreviation():
    text = Template('{% load dates %}{{ due|date:"DATETIME_FORMAT" }} ({{ due|gmt }})').render(
        Context({"due": MOMENT})
    )
    assert text == "1 Dec 2026, 14:24 (GMT+3)"


# --- relative times carry the exact moment ---------------------------------------------


@pytest.mark.parametrize(("language", "relative", "exact"), [
    ("en", "3\xa0hours ago", "1 Dec 2026, 14:24 (GMT+3)"),
    ("ru", "3\xa0часа назад", "1 дек. 2026, 14:24 (GMT+3)"),
])
def test_a_relative_time_shows_the_exact_moment_on_hover(language, relative, exact):
    with time_machine.travel(MOMENT + datetime.timedelta(hours=3), tick=False):
        with translation.override(language), timezone.override(MSK):
            html = Template("{% load dates %}{{ moment|ago }}").render(Context({"moment": MOMENT}))
    assert html == (
        f'<time datetime="2026-12-01T14:24:00+03:00" title="{exact}">{relative}</time>'
    )


def test_a_relative_time_of_nothing_is_empty():
    assert Template("{% load dates %}[{{ moment|ago }}]").render(Context({"moment": None})) == "[]"


def test_the_ticket_list_says_how_long_ago_with_the_exact_time_on_hover(client, customer):
    with time_machine.travel(MOMENT, tick=False):
        factories.TicketFactory(requester=customer, subject="Invoice run stops")
    client.force_login(customer)
    with time_machine.travel(MOMENT + datetime.timedelta(days=2, hours=1)):
        page = client.get("/tickets/").content.decode()
    assert (
        '<time datetime="2026-12-01T14:24:00+03:00" title="1 Dec 2026, 14:24 (GMT+3)">'
        "2\xa0days, 1\xa0hour ago</time>"
    ) in page
