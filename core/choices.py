"""``get_<field>_display`` that translates a field's choices once per language.

Django's own builds a dict of every choice on each call, and hashing a lazy label
translates it: a table of 25 tickets showing status, type and priority translated
hundreds of labels per page. Here the labels of a field are translated once per
language and process (they are constants of the code), then looked up.
"""

import functools

from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language


class TranslatedChoicesOnce:
    """Mixin for a model (before ``models.Model``): the same labels, looked up."""

    def _get_FIELD_display(self, field):  # noqa: N802 - Django's name
        value = getattr(self, field.attname)
        labels = _labels(field, get_language())
        return labels.get(make_hashable(value), force_str(value, strings_only=True))


@functools.lru_cache(maxsize=256)
def _labels(field, language: str | None) -> dict:
    return {
        make_hashable(value): force_str(label, strings_only=True)
        for value, label in field.flatchoices
    }
