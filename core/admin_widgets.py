"""Forms of the staff admin in django-unfold's look: its widgets in place of Django's
plain ones (unfold styles its own widgets, not the plain ones), attributes and choices
kept. Model fields of a ModelAdmin's form get unfold's widgets from the admin itself;
this is for the fields a form declares and for the admin's own forms."""

from django import forms
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from unfold import widgets

_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def html_attrs(attrs: dict) -> str:
    """Django's django/forms/widgets/attrs.html (and forms/attrs.html), in Python."""
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(" {}", name)
                if value is True
                else format_html(' {}="{}"', name, f"{value}"),  # as stringformat:"s", not safe
            )
            for name, value in attrs.items()
            if value is not False
        ),
    )


class LeanSelect(widgets.UnfoldAdminSelectWidget):
    """unfold's select, its markup (unfold/widgets/select.html of the pinned release and
    Django's option template) written in Python: Django renders each option through two
    templates of its own, and a list of the staff is a few dozen options."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        groups = context["optgroups"]
        if self.template_name != "unfold/widgets/select.html" or any(
            option["template_name"] != _OPTION_TEMPLATE
            for _name, options, _index in groups
            for option in options
        ):
            return super().render(name, value, attrs, renderer)
        parts = []
        for group_name, options, _index in groups:
            if group_name:
                parts.append(format_html('\n        <optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '\n            <option value="{}"{}>{}</option>',
                        f"{option['value']}",  # as stringformat:"s"
                        html_attrs(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                parts.append(mark_safe("\n                </optgroup>"))
        return format_html(
            '<div class="grow relative max-w-2xl">\n    <select name="{}"{}>{}\n    </select>'
            "\n\n    "
            '<span class="material-symbols-outlined absolute group-[.primary]:text-white '
            "pointer-events-none mr-[12px] right-0 text-base-400 top-0 top-1/2 "
            "hover:text-base-700 dark:text-base-500 dark:hover:text-base-200 "
            '-translate-y-1/2">expand_more</span>\n</div>',
            context["name"],
            html_attrs(context["attrs"]),
            mark_safe("".join(conditional_escape(part) for part in parts)),  # noqa: S308
        )


def _input_html(widget: dict) -> str:
    """Django's django/forms/widgets/input.html, in Python."""
    value = widget["value"]
    shown = "" if value is None else format_html(' value="{}"', f"{value}")
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        shown,
        html_attrs(widget["attrs"]),
    )


class LeanTextInput(widgets.UnfoldAdminTextInputWidget):
    """unfold's text input, its markup (unfold/widgets/text.html of the pinned release,
    without a prefix or suffix) written in Python."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        if self.template_name != "unfold/widgets/text.html" or any(
            widget.get(key) for key in ("prefix", "prefix_icon", "suffix", "suffix_icon")
        ):
            return super().render(name, value, attrs, renderer)
        return format_html(
            '\n<div class="max-w-2xl relative w-full">\n    {}\n</div>\n', _input_html(widget)
        )


class LeanTextarea(widgets.UnfoldAdminTextareaWidget):
    """unfold's text area, its markup (unfold/widgets/textarea.html of the pinned release)
    written in Python."""

    def render(self, name, value, attrs=None, renderer=None):
        if self.template_name != "unfold/widgets/textarea.html":
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        return format_html(
            '<textarea name="{}"{}>{}</textarea>',
            widget["name"],
            html_attrs(widget["attrs"]),
            widget["value"] or "",
        )


UNFOLD_WIDGETS = {
    forms.TextInput: LeanTextInput,
    forms.EmailInput: widgets.UnfoldAdminEmailInputWidget,
    forms.URLInput: widgets.UnfoldAdminURLInputWidget,
    forms.NumberInput: widgets.UnfoldAdminIntegerFieldWidget,
    forms.Textarea: LeanTextarea,
    forms.Select: LeanSelect,
    forms.SelectMultiple: widgets.UnfoldAdminSelectMultipleWidget,
    forms.CheckboxSelectMultiple: widgets.UnfoldAdminCheckboxSelectMultipleWidget,
    forms.RadioSelect: widgets.UnfoldAdminRadioSelectWidget,
    forms.CheckboxInput: widgets.UnfoldBooleanWidget,
    forms.PasswordInput: widgets.UnfoldAdminPasswordWidget,
}


def unfold_widget(widget: forms.Widget) -> forms.Widget:
    """unfold's widget for a plain one (exactly that class), or the widget itself."""
    replacement = UNFOLD_WIDGETS.get(type(widget))
    if replacement is None:
        return widget
    styled = replacement(attrs=dict(widget.attrs))
    # What the plain widget was given beyond its attributes (a checkbox's test, whether a
    # password is shown again) goes with it.
    for name in ("is_required", "choices", "check_test", "render_value"):
        if hasattr(widget, name):
            setattr(styled, name, getattr(widget, name))
    return styled


class UnfoldWidgetsMixin:
    """Put before the form class: every plain widget becomes unfold's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget = unfold_widget(field.widget)


class LabelledListEditableMixin:
    """For a ModelAdmin with ``list_editable``: the list's inputs have no <label> of their
    own, so each is named by its column and its row ("Reaction hours: Urgent")."""

    def get_changelist_form(self, request, **kwargs):
        base = super().get_changelist_form(request, **kwargs)

        class LabelledForm(base):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, **form_kwargs)
                for field in self.fields.values():
                    name = f"{field.label}: {self.instance}" if self.instance.pk else field.label
                    field.widget.attrs.setdefault("aria-label", str(name))

        return LabelledForm
