"""Forms of the staff admin in django-unfold's look: its widgets in place of Django's
plain ones (unfold styles its own widgets, not the plain ones), attributes and choices
kept. Model fields of a ModelAdmin's form get unfold's widgets from the admin itself;
this is for the fields a form declares and for the admin's own forms."""

from django import forms
from unfold import widgets

UNFOLD_WIDGETS = {
    forms.TextInput: widgets.UnfoldAdminTextInputWidget,
    forms.EmailInput: widgets.UnfoldAdminEmailInputWidget,
    forms.URLInput: widgets.UnfoldAdminURLInputWidget,
    forms.NumberInput: widgets.UnfoldAdminIntegerFieldWidget,
    forms.Textarea: widgets.UnfoldAdminTextareaWidget,
    forms.Select: widgets.UnfoldAdminSelectWidget,
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
    attrs = dict(widget.attrs)
    styled = replacement(attrs={**attrs, "class": attrs.get("class", "")})
    styled.attrs = {**styled.attrs, **{k: v for k, v in attrs.items() if k != "class"}}
    styled.is_required = widget.is_required
    if hasattr(widget, "choices"):
        styled.choices = widget.choices
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
