"""Word lists for improper submissions, and the flags staff review.

The contractor may ignore a request with profanity or insults (the ticketing rules).
The portal warns the customer before sending; what is sent anyway is flagged here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")


class MatchMode(models.TextChoices):
    WORD = "word", _("Whole word")
    START = "start", _("Start of a word")
    ANYWHERE = "anywhere", _("Anywhere in a word")


class BannedWord(models.Model):
    """A word or a root of one. Roots match at the start of a word (Russian ones also
    after a verbal prefix: по-, за-, на-, от- …); short or ambiguous words only whole."""

    word = models.CharField(
        _("word or root"),
        max_length=40,
        help_text=_("Lower case. A root like “fuck” also finds “fucking”; see “match”."),
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    match = models.CharField(
        _("match"),
        max_length=16,
        choices=MatchMode.choices,
        default=MatchMode.START,
        help_text=_(
            "Whole word: only this word (for short words such as “ass”). Start of a word: "
            "words beginning with it. Anywhere: also inside compound words; only for roots "
            "that innocent words never contain."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        ordering = ["language", "word"]
        verbose_name = _("banned word")
        verbose_name_plural = _("banned words")
        constraints = [
            models.UniqueConstraint(fields=["word", "language"], name="unique_banned_word")
        ]

    def __str__(self) -> str:
        return self.word

    def save(self, *args, **kwargs):
        self.word = self.word.strip().lower().replace("ё", "е")
        super().save(*args, **kwargs)


class AllowedWord(models.Model):
    """An innocent word that contains a banned root ("скипидар", "Scunthorpe"). A word
    that starts with an allowed one is never flagged."""

    word = models.CharField(_("word"), max_length=40, unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["word"]
        verbose_name = _("allowed word")
        verbose_name_plural = _("allowed words")

    def __str__(self) -> str:
        return self.word

    def save(self, *args, **kwargs):
        self.word = self.word.strip().lower().replace("ё", "е")
        super().save(*args, **kwargs)


class Flag(models.Model):
    """A ticket or a customer's comment that was sent with improper words."""

    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="moderation_flags",
    )
    comment = models.ForeignKey(
        "tickets.Comment",
        verbose_name=_("comment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="moderation_flags",
        help_text=_("Empty when the ticket's subject or description was flagged."),
    )
    words = models.JSONField(_("words found"), default=list)
    created_at = models.DateTimeField(_("flagged at"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        indexes = [
            # The review queue: flags nobody has looked at yet.
            models.Index(
                fields=["ticket"],
                name="moderation_flag_open_idx",
                condition=Q(reviewed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number}: {', '.join(self.words)}"

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None


class WordListsVersion(models.Model):
    """One row whose token changes with every change of the word lists, so each process
    knows when to recompile them (``moderation.checks.word_lists``)."""

    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("word lists version")
        verbose_name_plural = _("word lists versions")

    def __str__(self) -> str:
        return self.token
