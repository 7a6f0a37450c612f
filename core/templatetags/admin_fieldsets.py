"""A change form's fieldset in django-unfold's look, written in Python.

unfold draws a fieldset through four nested templates per field (the row, the field, the
read-only value, the help text), with template tags that build each field's wrapper once
more to work out the row's classes; a page of thirty fields spends most of its time in
the template engine. ``lean_fieldset`` writes the same markup (unfold's
admin/includes/fieldset.html of the pinned release, for a fieldset of the change form
itself) with the same class tags, each field built once. The widgets still render
through their own templates. A fieldset it does not know (conditional fields, tabs, an
inline's) is left to unfold's template.
"""

from django import template
from django.contrib.admin.utils import FieldIsAForeignKeyColumnName, _get_non_gfk_field
from django.core.exceptions import FieldDoesNotExist
from django.forms.utils import flatatt
from django.template.loader import render_to_string
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from unfold import forms as unfold_forms
from unfold.fields import UnfoldAdminField, UnfoldAdminReadonlyField
from unfold.settings import get_config
from unfold.templatetags import unfold as unfold_tags
from unfold.widgets import CHECKBOX_LABEL_CLASSES, LABEL_CLASSES

from core.admin_widgets import html_attrs

register = template.Library()

_HEADING = (
    '<h2 class="bg-base-100 flex flex-row font-semibold h-[38px] gap-1 items-center mb-4 px-3 '
    'rounded-default text-important dark:bg-white/[.02]  {}" >\n        {}\n</h2>'
)
_COMPRESSED_LABEL = (
    "lg:min-w-56 lg:w-56 lg:h-[38px] lg:flex lg:items-center lg:self-start lg:leading-[38px]"
    " lg:*:m-0"
)
_ERRORS = '<div class="mt-2 text-red-600 text-xs dark:text-red-500">\n{}\n</div>'


# unfold's read-only label attributes (UnfoldAdminReadonlyField.label_tag), the same for all.
_READONLY_LABEL_ATTRS = flatatt({"class": " ".join([*LABEL_CLASSES, "mb-2"])})


class _ReadonlyField(UnfoldAdminReadonlyField):
    """unfold's read-only field, whose kind (a file, an image, JSON) is told by the model
    field alone: a computed value (a display method) is worked out for the contents only,
    not once more when the field is built."""

    def _resolve_field(self):
        name = self.field["field"]
        if not isinstance(name, str):
            return (None, None, None)
        try:
            _get_non_gfk_field(self.form.instance._meta, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            return (None, None, None)  # a method or property: no file, image or JSON
        return super()._resolve_field()

    def label_tag(self):
        label = capfirst(self.field["label"])
        return format_html("<label{}>{}</label>", _READONLY_LABEL_ATTRS, label)


# Django's label punctuation (BoundField.label_tag): a variable, so that Django's
# catalogue, not ours, translates it.
DJANGO_LABEL_PUNCTUATION = ":?.!"
_REQUIRED_MARK = mark_safe('<span class="text-red-600 dark:text-red-500">*</span>')
_LABEL_CLASSES = " ".join(LABEL_CLASSES)
_CHECKBOX_LABEL_CLASSES = " ".join(CHECKBOX_LABEL_CLASSES)


def _editable_label(field) -> str:
    """unfold's UnfoldAdminField.label_tag through Django's BoundField.label_tag and its
    django/forms/label.html, in Python; a form with its own label template, or labels
    with language flags, gets theirs."""
    bound = field.field
    form = bound.form
    if (
        form.template_name_label != "django/forms/label.html"
        or get_config()["EXTENSIONS"]["modeltranslation"]["flags"]
    ):
        return field.label_tag()
    required = bound.field.required
    classes = [_CHECKBOX_LABEL_CLASSES if field.is_checkbox else _LABEL_CLASSES]
    if required:
        classes.append("required")
    attrs = {"class": " ".join(classes)}
    contents = conditional_escape(bound.label) or bound.label
    if required and contents and contents[-1] not in gettext(DJANGO_LABEL_PUNCTUATION):
        contents = format_html("{}{}", contents, _REQUIRED_MARK)
    widget = bound.field.widget
    id_ = widget.attrs.get("id") or bound.auto_id
    if not id_:
        return conditional_escape(contents)
    id_for_label = widget.id_for_label(id_)
    if id_for_label:
        attrs["for"] = id_for_label
    if required and hasattr(form, "required_css_class"):
        attrs["class"] += " " + form.required_css_class
    return format_html("<label{}>{}</label>", html_attrs(attrs), contents)


def _fields_of(line) -> list:
    """unfold's Fieldline.__iter__, read-only fields built as _ReadonlyField."""
    if type(line).__iter__ is not unfold_forms.Fieldline.__iter__:
        return list(line)
    return [
        _ReadonlyField(line.form, name, is_first=(index == 0), model_admin=line.model_admin)
        if name in line.readonly_fields
        else UnfoldAdminField(line.form, name, is_first=(index == 0))
        for index, name in enumerate(line.fields)
    ]


class _Line:
    """What unfold's row-classes tag reads of a line, without building its fields again."""

    def __init__(self, line, fields):
        self.fields = line.fields
        self.has_visible_field = line.has_visible_field
        self._built = fields

    def __iter__(self):
        return iter(self._built)


def _help_text(help_text) -> str:
    if not help_text:
        return ""
    return format_html(
        '<div class="leading-relaxed mt-2 text-xs">\n{}\n</div>', mark_safe(help_text)
    )


def _errors(field) -> str:
    if field.is_readonly or not field.field.errors:  # none to list: nothing rendered
        return ""
    return format_html(_ERRORS, field.errors())


class _ErrorsKnown:
    """A field as unfold's line-classes tag reads it, whose errors are only asked whether
    there are any (not rendered, empty, through the error list's template)."""

    def __init__(self, field):
        self.field = field.field

    def errors(self):
        return bool(self.field.errors)


def _readonly_value(field) -> str:
    """unfold/helpers/field_readonly_value.html, for a context without value or outline."""
    contents = field.contents()
    if not contents:
        shown = "-"
    elif field.is_file:
        shown = render_to_string(
            "unfold/helpers/field_readonly_value_file.html", {"field": field}
        )
        shown = mark_safe(shown)  # noqa: S308 - a template's output
    elif contents == "None":
        shown = "-"
    else:
        shown = conditional_escape(contents)
    width = "max-w-4xl" if field.is_json else "max-w-2xl"
    return format_html(
        '<div class="readonly break-words {} *:rounded-default">{}</div>', width, shown
    )


def _field(field, compressed: bool) -> str:
    """unfold/helpers/fieldset_row_field.html or fieldset_row_checkbox.html."""
    label = field.label_tag() if field.is_readonly else _editable_label(field)
    if field.is_checkbox:
        help_text = field.field.help_text
        if compressed:
            helped = (
                format_html('<div class="lg:-mt-2 lg:ml-2">{}</div>', _help_text(help_text))
                if help_text
                else ""
            )
            return format_html(
                '<div class="flex flex-col gap-2 py-2 lg:flex-row">\n'
                '<div class="font-medium flex items-start -ml-2 min-w-32 w-32 lg:min-w-56'
                ' lg:w-56">\n{}\n</div>\n'
                '<div class="grow">\n<div class="flex flex-col lg:flex-row">\n{}\n{}\n</div>\n'
                "{}\n</div>\n</div>",
                label,
                field.field,
                helped,
                _errors(field),
            )
        helped = (
            format_html('<div class="ml-2 -mt-1">{}</div>', _help_text(help_text))
            if help_text
            else ""
        )
        return format_html(
            '<div class="flex flex-row">\n{}\n<div class="flex flex-col">\n{}\n{}\n{}\n'
            "</div>\n</div>",
            field.field,
            label,
            helped,
            _errors(field),
        )
    if field.is_readonly:
        value = _readonly_value(field)
        help_text = field.field["help_text"]
    else:
        value = conditional_escape(field.field)
        help_text = field.field.help_text
    return format_html(
        '<div class="{}">\n{}\n</div>\n<div class="grow relative">\n{}\n{}\n{}\n</div>',
        _COMPRESSED_LABEL if compressed else "",
        label,
        value,
        _help_text(help_text),
        _errors(field),
    )


def _row(line, last: bool, context, compressed: bool) -> str:
    """unfold/helpers/fieldset_row.html, without conditional fields."""
    fields = _fields_of(line)
    row_classes = unfold_tags.fieldset_row_classes({"line": _Line(line, fields)})
    cells = []
    for field in fields:
        shape = field if field.is_readonly else _ErrorsKnown(field)
        classes = unfold_tags.fieldset_line_classes(
            {"field": shape, "adminform": context.get("adminform")}
        )
        cells.append(
            format_html(
                '<div class="{}" >\n{}\n</div>', classes, _field(field, compressed)
            )
        )
    return format_html(
        '<div class="{} {}">\n{}\n</div>',
        row_classes,
        "last" if last else "",
        mark_safe("\n".join(cells)),  # noqa: S308 - each cell is format_html's
    )


def _drawn_by_unfold(context, fieldset) -> bool:
    adminform = context.get("adminform")
    model_admin = getattr(adminform, "model_admin", None)
    return (
        model_admin is None
        or getattr(model_admin, "conditional_fields", None)
        or context.get("stacked") == 1
        or context.get("inline_admin_formset")
        or "tab" in (fieldset.classes or "")
        or context.get("value")
        or context.get("outline")
    )


@register.simple_tag(takes_context=True)
def lean_fieldset(context, fieldset) -> str:
    """unfold's admin/includes/fieldset.html for ``fieldset`` of the change form, or ""
    for one that template must draw (``{% lean_fieldset fieldset as drawn %}``)."""
    if _drawn_by_unfold(context, fieldset):
        return ""
    compressed = bool(getattr(context["adminform"].model_admin, "compressed_fields", False))
    collapsible = fieldset.is_collapsible
    parts = [
        format_html(
            '<fieldset class="module relative {}" x-show="activeTab == \'general\'">',
            f" {fieldset.classes}" if fieldset.classes else "",
        )
    ]
    if collapsible:
        parts.append("<details><summary>")
    if fieldset.name:
        parts.append(
            format_html(
                _HEADING, "cursor-pointer" if collapsible else "", capfirst(fieldset.name)
            )
        )
    if collapsible:
        parts.append("</summary>")
    if fieldset.description:
        parts.append(
            format_html(
                '<div class="leading-relaxed mb-4 max-w-4xl text-sm">\n{}\n</div>',
                mark_safe(fieldset.description),  # noqa: S308 - unfold shows it |safe
            )
        )
    lines = list(fieldset)
    rows = [
        _row(line, index == len(lines) - 1, context, compressed)
        for index, line in enumerate(lines)
    ]
    parts.append(
        format_html(
            '<div class="{}">\n{}\n</div>',
            unfold_tags.fieldset_rows_classes({}),
            mark_safe("\n".join(rows)),  # noqa: S308 - each row is format_html's
        )
    )
    if fieldset.name and collapsible:
        parts.append("</details>")
    parts.append("</fieldset>")
    return mark_safe("\n".join(str(part) for part in parts))  # noqa: S308 - built above
