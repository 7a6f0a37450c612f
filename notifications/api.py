"""The outbox for features outside the ticket conversation: approvals, statements,
invitations. Same guarantees as the ticket mails (row in the caller's transaction, sent
after commit, retried, capped, muted, suppressed).

A feature adds its event name and three templates,
``templates/notifications/email/<event>.subject.txt / .txt / .html`` extending
``notifications/email/base.txt`` / ``base.html``; the templates get ``facts`` (the
JSON-serialisable ``context`` given here), ``recipient_name``, ``site_url`` and, when a
ticket is given, ``ticket`` and ``ticket_url``.
"""

from collections.abc import Iterable

from notifications import services
from notifications.models import Audience, Notification


def notify_people(
    *,
    event: str,
    users: Iterable,
    context: dict | None = None,
    ticket=None,
    actor=None,
    essential: bool = False,
) -> list[Notification]:
    """Mail these people (not the actor) about an event, each on their own side."""
    recipients = [
        services.person(
            user,
            Audience.CONTRACTOR if user.is_contractor else Audience.CUSTOMER,
            essential=essential,
        )
        for user in users
        if user.is_active and (actor is None or user.pk != actor.pk)
    ]
    return services.outbox_write(
        event=event, ticket=ticket, actor=actor, recipients=recipients, context=context or {}
    )


def notify_address(
    *, event: str, email: str, language: str = "en", context: dict | None = None
) -> Notification | None:
    """Mail an address that has no active account yet (an invitation), essential."""
    recipient = services.Recipient(
        email=email.strip().lower(),
        language=services.language_of(language),
        audience=Audience.SENDER,
        user=None,
        essential=True,
    )
    rows = services.outbox_write(
        event=event, ticket=None, actor=None, recipients=[recipient], context=context or {}
    )
    return rows[0] if rows else None
