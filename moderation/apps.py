from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self):
        # Whatever writes a word (the admin, a bulk delete, a data migration, a test),
        # the compiled lists follow. This keeps a cache fresh; it drives no domain rule.
        from django.core import signals as request_signals
        from django.db.models.signals import post_delete, post_save

        from moderation import checks
        from moderation.models import AllowedWord, BannedWord

        request_signals.request_started.connect(
            checks.request_started, dispatch_uid="moderation.request_started"
        )
        request_signals.request_finished.connect(
            checks.request_finished, dispatch_uid="moderation.request_finished"
        )

        for model in (BannedWord, AllowedWord):
            for signal in (post_save, post_delete):
                signal.connect(
                    _word_changed, sender=model, dispatch_uid=f"moderation.{model.__name__}"
                )


def _word_changed(sender, **kwargs):
    from moderation.checks import lists_changed

    lists_changed()
