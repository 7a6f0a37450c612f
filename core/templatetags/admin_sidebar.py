"""The staff sidebar's links in django-unfold's look, written in Python.

unfold's unfold/helpers/app_list.html draws each group and link of the sidebar through
a dozen template lookups and a badge include each, on every staff page.
``lean_sidebar`` writes the same markup (that template of the pinned unfold release) for
a sidebar without badges or collapsible groups; any other is left to the template.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

_GROUP_TITLE = (
    '<h2 class="font-semibold flex flex-row group items-center mb-1 mx-3 py-1.5 px-3'
    " select-none text-font-important-light text-sm dark:text-font-important-dark \" >\n"
    "{}\n</h2>"
)
_SEPARATOR = '<hr class="border-t border-base-200 mx-6 my-2 dark:border-base-800" />'
_LINK = (
    '<li>\n<a href="{}" class="flex h-[38px] items-center -mx-3 px-3 rounded-default'
    ' hover:text-primary-600 dark:hover:text-primary-500 {}">\n{}\n<span>{}</span>\n</a>\n</li>'
)
_ACTIVE = (
    "bg-base-100 font-semibold text-primary-600 dark:bg-white/[.06] dark:text-primary-500 active"
)
_ICON = '<span class="material-symbols-outlined md-18 mr-3 w-[18px]">\n{}\n</span>'


def _plain(groups) -> bool:
    """Groups and links without what only the template draws (badges, collapsing)."""
    return all(
        not group.get("collapsible")
        and not group.get("badge")
        and not any(item.get("badge") or item.get("items") for item in group.get("items") or ())
        for group in groups
    )


def _link(item) -> str:
    href = item.get("link_callback") or item.get("link")
    icon = format_html(_ICON, item["icon"]) if item.get("icon") else ""
    return format_html(
        _LINK,
        href,
        _ACTIVE if item.get("active") else "",
        icon,
        mark_safe(str(item.get("title"))),  # noqa: S308 - the template shows it |safe
    )


def _group(group) -> str:
    parts = [_SEPARATOR] if group.get("separator") else []
    if group.get("title"):
        parts.append(format_html(_GROUP_TITLE, group["title"]))
    links = format_html_join(
        "\n", "{}", ((_link(item),) for item in group["items"] if item.get("has_permission"))
    )
    parts.append(format_html('<ol class="flex flex-col gap-0.5 px-6" >\n{}\n</ol>', links))
    return format_html(
        '<div class="hidden mb-1.5 has-[ol]:has-[li]:block" >\n{}\n</div>',
        mark_safe("\n".join(str(part) for part in parts)),  # noqa: S308 - format_html's
    )


@register.simple_tag
def lean_sidebar(groups) -> str:
    """The sidebar's groups of links, or "" when the template must draw them."""
    if not groups or not _plain(groups):
        return ""
    drawn = format_html_join(
        "\n", "{}", ((_group(group),) for group in groups if group.get("items"))
    )
    return format_html(
        '<div id="nav-sidebar-apps" class="h-0 grow overflow-auto" data-simplebar>\n{}\n</div>',
        drawn,
    )
