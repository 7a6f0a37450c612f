"""Satisfaction ratings: the ask when a ticket is resolved (or closed without one), and
the requester's answer, once per resolution, from the mail's link or in the portal."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ActionRefused
from tickets import notify, rules
from tickets.models import EventKind, RatingVia, SatisfactionRating, Ticket
from tickets.services._common import history, lock

COMMENT_MAX = 2000


def rating_ask(locked: Ticket) -> SatisfactionRating | None:
    """The ask for the locked ticket's current resolution, made now if there is none yet
    (the resolve and close use cases call it; a ticket closed as a duplicate has none)."""
    resolved_at = rules.rated_resolution(locked)
    if resolved_at is None:
        return None
    rating, _created = SatisfactionRating.objects.get_or_create(
        ticket=locked,
        resolved_at=resolved_at,
        defaults={"agent_id": locked.assignee_id, "asked_at": timezone.now()},
    )
    return rating


def _score(value) -> int:
    """A whole number from 1 to 5 (as given, or its digits as text), else refused."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value not in range(1, 6):
        raise ActionRefused(_("Choose a score from 1 to 5."), code="score")
    return value


def ticket_rate(
    *,
    ticket: Ticket,
    actor,
    score,
    comment: str = "",
    via: str = RatingVia.PORTAL,
    rating: SatisfactionRating | None = None,
) -> SatisfactionRating:
    """The requester (or a colleague of the organisation) rates the resolution of a
    resolved or closed ticket, once. ``rating`` is the ask a mail's link names: it must
    still be the ticket's current one (a ticket reopened since asks again when resolved).
    A score at or below SATISFACTION_ALERT_SCORE alerts the assignee and the managers."""
    score = _score(score)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ActionRefused(
            _("The comment is too long: at most %(count)s characters.") % {"count": COMMENT_MAX},
            code="comment_too_long",
        )
    with transaction.atomic():
        locked = lock(ticket)
        refusal = rules.rating_refusal(actor, locked)
        if refusal is not None:
            raise refusal
        current = rating_ask(locked)
        current = SatisfactionRating.objects.select_for_update().get(pk=current.pk)
        if rating is not None and rating.pk != current.pk:
            raise ActionRefused(
                _("This link was for an earlier resolution of %(number)s.")
                % {"number": locked.number},
                code="superseded",
            )
        if current.is_rated:
            raise ActionRefused(rules.already_rated_text(locked), code="already_rated")
        current.score, current.comment = score, comment
        current.rated_by, current.rated_at, current.via = actor, timezone.now(), via
        current.save(update_fields=["score", "comment", "rated_by", "rated_at", "via"])
        history(locked, actor, EventKind.RATED, new=score, reason=comment)
        if score <= settings.SATISFACTION_ALERT_SCORE:
            notify.notify_low_rating(rating=current, actor=actor)
        ticket.refresh_from_db()
        return current
