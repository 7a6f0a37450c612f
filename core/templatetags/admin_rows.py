"""The rows of an admin changelist in django-unfold's look, built once per page.

unfold's ``unfold_result_list`` works out every column header again for each row (the
select-all checkbox rendered through the widget templates each time), looks each column up
again by name, renders the row checkbox through the widget templates and reverses the
change URL for every row. ``lean_result_list`` writes the same table: the headers once,
each column looked up once, the checkbox and the link rendered once with a stand-in for
the primary key. A list that edits rows in place (a formset) or uses unfold's column
decorations (label, header, dropdown) gets unfold's own tag.
"""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import _coerce_field_name, result_hidden_fields
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    lookup_field,
    quote,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.template import Library
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from unfold import admin as unfold_admin
from unfold.templatetags import unfold_list
from unfold.utils import display_for_field, display_for_value

register = Library()

# Stands for the primary key in what is rendered once for all rows (the checkbox, the
# link); nothing else on a row carries it.
_PK = "LeanRowPrimaryKey"  # letters only: admin quote() leaves it as it is


class _Column:
    """One column of the list: how to get a row's value and how to show it."""

    def __init__(self, cl, index: int, name, header: dict):
        model_admin = self.model_admin = cl.model_admin
        self.name = name
        # The header's words, translated and escaped once for all rows' data-label.
        self.label = conditional_escape(header["text"]) if header else ""
        self.classes = [f"field-{_coerce_field_name(name, index)}", *unfold_list.ROW_CLASSES]
        self.empty = model_admin.get_empty_value_display()
        self.field = self.getter = self.attr = None
        self.choices = None
        try:
            self.field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            if callable(name):
                self.getter = self.attr = name
            elif hasattr(model_admin, name) and name != "__str__":
                self.getter = self.attr = getattr(model_admin, name)
            # else: looked up on each row (lookup_field), as Django does
        self.checkbox = name == "action_checkbox" and self.getter is not None
        if self.field is not None:
            field = self.field
            self.related = isinstance(field.remote_field, models.ManyToOneRel)
            if isinstance(field, models.DateField | models.TimeField | models.ForeignKey):
                self.classes.append("nowrap")
            if not self.related and getattr(field, "flatchoices", None):
                try:
                    # Translated once for all rows.
                    self.choices = {key: str(label) for key, label in field.flatchoices}
                except TypeError:  # list-like choices: unfold's display_for_field
                    self.choices = None
        elif self.checkbox:
            self.classes = unfold_list.CHECKBOX_CLASSES
        self.row_class = mark_safe(f' class="{" ".join(self.classes)}"')

    def plain(self) -> bool:
        """Shown the way this module knows (not unfold's label, header or dropdown)."""
        attr = self.attr
        return not any(getattr(attr, key, False) for key in ("label", "header", "dropdown"))

    def value(self, obj):
        """What the cell shows for ``obj``."""
        try:
            if self.field is not None:
                field = self.field
                if self.related:
                    related = getattr(obj, field.name)
                    return self.empty if related is None else related
                value = getattr(obj, self.name)
                if self.choices is not None:
                    return self.choices.get(value, self.empty)
                return display_for_field(value, field, self.empty)
            if self.getter is not None:
                value = self.getter(obj)
                attr = self.attr
            else:
                _f, attr, value = lookup_field(self.name, obj, self.model_admin)
        except ObjectDoesNotExist:
            return self.empty
        empty = getattr(attr, "empty_value_display", self.empty)
        return display_for_value(value, empty, getattr(attr, "boolean", False))


def _stand_in_checkbox() -> tuple[str, str]:
    """unfold's row checkbox (its ModelAdmin.action_checkbox), split around the key."""
    html = unfold_admin.checkbox.render(ACTION_CHECKBOX_NAME, _PK)
    before, _sep, after = html.partition(_PK)
    return before, after


class _StandIn:
    """A row whose primary key is the stand-in (for the change URL reversed once)."""

    def __init__(self, pk_attname: str):
        setattr(self, pk_attname, _PK)


def _link_indexes(cl, columns: list[_Column]) -> list[int]:
    """The columns linked to the row's change page, as unfold's ``link_in_col`` picks."""
    links = cl.list_display_links
    if links is None:
        return []
    if not links:
        return [0] if columns else []
    return [index for index, column in enumerate(columns) if column.name in links]


def lean_rows(cl, columns: list[_Column]):
    """Each row's cells, as unfold's ``items_for_result`` writes them."""
    linked = _link_indexes(cl, columns)
    first_link = linked[0] if linked else None
    select_label = gettext("Select record")
    own_checkbox = (
        type(cl.model_admin).action_checkbox is unfold_admin.ModelAdmin.action_checkbox
    )
    checkbox = _stand_in_checkbox() if own_checkbox else None
    url = None
    if linked:
        try:
            url = cl.url_for_result(_StandIn(cl.pk_attname))
        except NoReverseMatch:
            url = None
        else:
            url = add_preserved_filters(
                {"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url
            )
    link_classes = " ".join(unfold_list.LINK_CLASSES)
    popup_key = str(cl.to_field) if cl.to_field else cl.pk_attname
    for result in cl.result_list:
        pk = getattr(result, cl.pk_attname)
        cells = []
        for index, column in enumerate(columns):
            if column.checkbox and checkbox is not None:
                shown = mark_safe(checkbox[0] + conditional_escape(str(pk)) + checkbox[1])
            else:
                shown = column.value(result)
            if index in linked:
                tag = "th" if index == first_link else "td"
                if url is not None:
                    shown = format_html(
                        '<a href="{}" class="{}" {}>{}</a>',
                        # The path's stand-in comes before the preserved filters.
                        url.replace(_PK, str(quote(pk)), 1),
                        link_classes,
                        format_html(
                            ' data-popup-opener="{}"', result.serializable_value(popup_key)
                        )
                        if cl.is_popup
                        else "",
                        shown,
                    )
                cell = format_html(
                    '<{}{} data-label="{}">{}</{}>',
                    tag,
                    column.row_class,
                    column.label,
                    shown,
                    tag,
                )
            else:
                cell = format_html(
                    '<td{} data-label="{}">{}</td>',
                    column.row_class,
                    column.label if index else select_label,
                    shown,
                )
            cells.append(cell)
        yield unfold_list.UnfoldResultList(result, None, cells)


def lean_result_list(context, cl):
    """unfold's ``result_list`` with the rows of ``lean_rows``."""
    if getattr(cl, "formset", None):
        return unfold_list.result_list(context, cl)
    headers = list(unfold_list.result_headers(cl))
    columns = [
        _Column(cl, index, name, headers[index]) for index, name in enumerate(cl.list_display)
    ]
    if not all(column.plain() for column in columns):
        return unfold_list.result_list(context, cl)
    results = list(lean_rows(cl, columns))
    model_admin = cl.model_admin
    plain = not (
        getattr(model_admin, "ordering_field", None)
        or getattr(model_admin, "list_sections", None)
        or context.get("actions_row")
    )
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": results,
        # For a template that takes them (admin/tickets/ticket/change_list_results.html).
        "rows_html": _rows_html(results) if plain else "",
        "actions_row": context.get("actions_row"),
        "has_add_permission": model_admin.has_add_permission(context["request"]),
    }


_ROW = (
    '<tbody class="block relative lg:table-row-group {}" x-data="{{rowOpen: false}}" >\n'
    '<tr class="data-row block border border-base-200 mb-3 relative rounded-default lg:table-row'
    ' lg:border-none lg:mb-0 lg:rounded-none dark:border-base-800">\n{}\n</tr>\n</tbody>\n'
)
_STRIPES = ("", "bg-base-50 dark:bg-white/[.02]")


def _rows_html(results) -> str:
    """The rows as unfold's template writes them for a list without row ordering, row
    sections or row actions (and, without a formset, no form errors)."""
    return mark_safe(  # noqa: S308 - the cells are format_html's
        "".join(
            _ROW.format(_STRIPES[index % 2], "\n".join(result))
            for index, result in enumerate(results)
        )
    )


@register.tag(name="lean_result_list")
def lean_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=lean_result_list, template_name="change_list_results.html"
    )
