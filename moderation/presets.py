"""Standard reasons for rejecting a ticket, in the words the customer reads.

The ticketing rules let the contractor ignore a request that is improperly submitted,
contains profanity or insults, or is out of the contract's scope. An agent picks one of
these in the reject form; its text, in the customer's language, starts the reason the
customer sees, and what the agent types is added after it.
"""

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class RejectPreset(models.TextChoices):
    PROFANITY = "profanity", _("Profanity or insults")
    SEVERAL_TASKS = "several_tasks", _("Improperly submitted: several tasks in one ticket")
    OUT_OF_SCOPE = "out_of_scope", _("Out of the contract's scope")
    OTHER = "other", _("Other (write the reason)")


PRESET_TEXTS = {
    RejectPreset.PROFANITY: _(
        "The ticket contains profanity or insults. Under the helpdesk ticketing rules the "
        "contractor may ignore such requests, so it is rejected. Please file the request "
        "again in neutral words."
    ),
    RejectPreset.SEVERAL_TASKS: _(
        "The ticket is improperly submitted: it contains several separate tasks. Under the "
        "helpdesk ticketing rules each task must be a separate ticket. Please file each "
        "task as its own ticket with “File the tasks as separate tickets” on this ticket's "
        "page: each new ticket follows this one, and you may name related tickets by their "
        "numbers in the description, so that the support team links them as related."
    ),
    RejectPreset.OUT_OF_SCOPE: _(
        "The request is outside the scope of your support and maintenance contract, so the "
        "ticket is rejected. Please contact the contractor about additional work."
    ),
}


def rejection_reason(*, preset: str, extra: str, language: str) -> str:
    """The reason the customer sees: the preset's text in their language, then ``extra``."""
    extra = extra.strip()
    text = PRESET_TEXTS.get(preset)
    if text is None:
        return extra
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        standard = str(text)
    return f"{standard}\n\n{extra}" if extra else standard
