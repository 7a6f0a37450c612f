"""A list filter's choices in django-unfold's look, written in Python.

unfold's admin/filter.html goes through its choices twice and looks up a handful of
variables for each: a list filtered by organisation and by assignee draws a hundred
choices. ``lean_filter`` writes the same markup (admin/filter.html of the pinned unfold
release, its vertical list) for the filters whose ``template`` is
``admin/lean_filter.html``.
"""

from django import template
from django.utils.encoding import iri_to_uri
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

# The heading of Django's filter template: a variable, so that Django's catalogue, not
# ours, translates it.
DJANGO_FILTER_HEADING = " By %(filter_title)s "


def filter_heading(title) -> str:
    """A list filter's heading as Django words it ("By organisation")."""
    return gettext(DJANGO_FILTER_HEADING) % {"filter_title": title}

_SELECTED = "font-semibold text-primary-600 dark:text-primary-500 "
_NOT_SELECTED = "hover:text-base-700 dark:hover:text-base-200"


def _first(value):
    """What the template's ``spec.lookup_val.0`` reads: the first value, or nothing."""
    if value is None:
        return ""
    try:
        return value[0]
    except (TypeError, IndexError, KeyError):
        return ""


@register.simple_tag
def lean_filter(title, choices, spec) -> str:
    heading = filter_heading(conditional_escape(title))
    first = _first(getattr(spec, "lookup_val", None))
    hidden = format_html_join(
        "",
        '\n<input type="hidden" name="{}" value="{}" />',
        (
            (getattr(spec, "lookup_kwarg", ""), first)
            for choice in choices
            if choice.get("selected") and first
        ),
    )
    items = format_html_join(
        "\n",
        '<li class="border-b border-base-200 last:border-b-0 dark:border-base-700 {}">\n'
        '<a href="{}" title="{}" class="block px-3 py-2 hover:text-primary-600'
        ' dark:hover:text-primary-500">\n{}\n</a>\n</li>',
        (
            (
                _SELECTED if choice.get("selected") else _NOT_SELECTED,
                iri_to_uri(choice.get("query_string", "")),
                choice.get("display", ""),
                choice.get("display", ""),
            )
            for choice in choices
        ),
    )
    return format_html(
        '<div>\n<h3 class="font-semibold mb-2 text-font-important-light'
        ' dark:text-font-important-dark">\n{}\n</h3>\n{}\n'
        '<ul class="border border-base-200 flex flex-col rounded-default shadow-xs'
        ' dark:border-base-700">\n{}\n</ul>\n</div>',
        mark_safe(heading),  # noqa: S308 - the title is escaped, the words are the catalogue's
        hidden,
        items,
    )
