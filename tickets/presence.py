"""Who else is on a staff ticket page: "Elena is viewing this ticket", "… is replying".

The page posts a heartbeat every ``PRESENCE_POLL_SECONDS`` ("viewing", or "typing" while
the agent writes); each ticket's heartbeats are one cache entry (Redis in production),
a person's gone once not renewed for ``PRESENCE_TTL_SECONDS``. Presence is a courtesy:
with the cache down it is simply empty (logged once, at debug), never an error.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

VIEWING, TYPING = "viewing", "typing"
STATES = (VIEWING, TYPING)
_told_cache_down = False


def _key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def _cache_down(exc: Exception) -> None:
    global _told_cache_down  # noqa: PLW0603 - one debug line per process is enough
    if not _told_cache_down:
        _told_cache_down = True
        logger.debug("Presence is off: the cache does not answer (%s)", exc)


def heartbeat(*, ticket_id: int, user, state: str) -> list[dict]:
    """Record that ``user`` is on the ticket's page (viewing or typing); returns the
    others present now, each ``{"name", "state"}``, in the order they came."""
    now = time.time()
    ttl = settings.PRESENCE_TTL_SECONDS
    try:
        entries = cache.get(_key(ticket_id)) or {}
        fresh = {uid: e for uid, e in entries.items() if now - e["at"] < ttl}
        since = fresh.get(user.pk, {}).get("since", now)
        fresh[user.pk] = {"name": user.get_full_name(), "state": state, "at": now, "since": since}
        cache.set(_key(ticket_id), fresh, timeout=ttl)
    except Exception as exc:  # noqa: BLE001 - any cache failure means "no presence"
        _cache_down(exc)
        return []
    others = sorted((e for uid, e in fresh.items() if uid != user.pk), key=lambda e: e["since"])
    return [{"name": e["name"], "state": e["state"]} for e in others]

