from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.markdown import link_numbers, render_markdown
from sla.display import hours_text
from tickets.models import INVERSE_LINK_LABELS, EventKind, LinkKind, Priority, Status, TicketType

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return render_markdown(text)


@register.filter(name="markdown_linked")
def markdown_linked(text: str, links: dict | None):
    """Markdown whose ticket numbers link to the tickets the reader may see (``links``,
    number → URL, worked out once per page by the view)."""
    return link_numbers(render_markdown(text), links or {})


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _link_label(value: str) -> str:
    """'duplicate_of HD-…' or '~duplicate_of HD-…' (the other side) in the reader's words."""
    code, _sep, number = value.partition(" ")
    inverse = code.startswith("~")
    code = code.lstrip("~")
    if code not in LinkKind.values:
        return value
    label = INVERSE_LINK_LABELS[code] if inverse else LinkKind(code).label
    return f"{label} {number}"


@register.filter
def event_text(event) -> str:
    """One history line in the reader's language."""
    kind = event.kind
    if kind == EventKind.FILED:
        return _("Filed the ticket")
    if kind == EventKind.STATUS:
        return _("Status: %(old)s → %(new)s") % {
            "old": _label(Status, event.old_value),
            "new": _label(Status, event.new_value),
        }
    if kind == EventKind.PRIORITY:
        return _("Priority: %(old)s → %(new)s") % {
            "old": _label(Priority, int(event.old_value)),
            "new": _label(Priority, int(event.new_value)),
        }
    if kind == EventKind.TYPE:
        return _("Type: %(old)s → %(new)s") % {
            "old": _label(TicketType, event.old_value),
            "new": _label(TicketType, event.new_value),
        }
    if kind == EventKind.ASSIGNEE:
        if event.new_value:
            return _("Assigned to %(name)s") % {"name": event.new_value}
        return _("Unassigned")
    if kind == EventKind.LINK:
        return _("Linked: %(link)s") % {"link": _link_label(event.new_value)}
    if kind == EventKind.UNLINK:
        return _("Link removed: %(link)s") % {"link": _link_label(event.old_value)}
    if kind == EventKind.MERGE:
        return _("Merged %(duplicate)s into %(original)s") % {
            "duplicate": event.old_value,
            "original": event.new_value,
        }
    if kind == EventKind.RATED:
        return _("Rated the resolution %(score)s of 5") % {"score": event.new_value}
    return str(event.get_kind_display())


@register.filter
def business_hours(seconds) -> str:
    return hours_text(seconds) if seconds is not None else ""


@register.simple_tag
def urgent_banner(tickets) -> str:
    """The staff side's Urgent banner (admin/includes/urgent_banner.html): the Urgent
    incidents nobody accepted yet, each linked, with its organisation and subject."""
    if not tickets:
        return ""
    tickets = list(tickets)
    heading = ngettext(
        "An Urgent incident is waiting to be accepted:",
        "Urgent incidents are waiting to be accepted:",
        len(tickets),
    )
    links = format_html_join(
        ", ",
        '<a href="{}">{}</a> ({}: {})',
        (
            (
                reverse("admin:tickets_ticket_change", args=[ticket.pk]),
                ticket.number,
                ticket.organisation.name,
                Truncator(ticket.subject).chars(60),
            )
            for ticket in tickets
        ),
    )
    return format_html(
        '\n<div class="px-4">\n  <div class="urgent-banner container mx-auto" role="alert">\n'
        "    {}\n    {}\n  </div>\n</div>\n",
        mark_safe(heading),  # noqa: S308 - the catalogue's words, as the template gave them
        links,
    )
