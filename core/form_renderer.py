"""The form renderer: Django's own widget templates through their Jinja2 twins.

Django ships every built-in widget template twice, for its template language
(``django/forms/templates``) and for Jinja2 (``django/forms/jinja2``), with the same
markup. Jinja2 compiles them to Python, so a page of forms renders its fields several
times faster (the ticket page renders some twenty ``attrs.html``). Every other template
(the forms' and errors' layouts, django-unfold's admin widgets, ours) is found as before:
the error lists keep Django's escaping of their messages.
"""

from django.forms.renderers import DjangoTemplates, Jinja2
from django.utils.functional import cached_property

BUILT_IN = "django/forms/widgets/"


class FormRenderer(DjangoTemplates):
    @cached_property
    def _jinja2(self) -> Jinja2:
        return Jinja2()

    def get_template(self, template_name):
        if template_name.startswith(BUILT_IN):
            return self._jinja2.get_template(template_name)
        return super().get_template(template_name)
