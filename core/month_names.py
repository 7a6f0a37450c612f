"""The abbreviated month names of our date format, for the translators.

Django's Russian catalogue abbreviates without a dot and in the nominative ("дек",
"май"); ours gives the short genitive forms with their dots ("1 дек. 2026", "1 мая
2026"), which the date formats of helpdesk/formats/ru use. Our catalogue comes first,
so these override Django's. Never called: it only puts the messages in the catalogue.
"""

from django.utils.translation import gettext_lazy as _

ABBREVIATED_MONTHS = (
    _("jan"),
    _("feb"),
    _("mar"),
    _("apr"),
    _("may"),
    _("jun"),
    _("jul"),
    _("aug"),
    _("sep"),
    _("oct"),
    _("nov"),
    _("dec"),
)
