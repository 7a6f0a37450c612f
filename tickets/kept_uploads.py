"""Files chosen on a staff form that comes back (held for a change, or an error) are
kept, not lost: a browser never sends a file input twice.

The store is the portal's pending uploads (``portal.pending``), a layer above this app:
the portal registers it here when it starts (``portal.apps``), so the ticket admin
uses it without importing upwards. Without a store, the form asks to choose the files
again instead.
"""

from django.http import QueryDict

_store = None


def register(store) -> None:
    """``store`` has ``from_post``, ``keep``, ``as_uploads``, ``discard``, ``FIELD`` and
    ``REMOVE_FIELD`` (``portal.pending``)."""
    global _store  # noqa: PLW0603 - set once, at start-up
    _store = store


def available() -> bool:
    return _store is not None


def taken(*, user, post, prefix: str) -> list:
    """The person's kept files named by the form for one box (``<prefix>_pending``);
    those ticked "remove" (``<prefix>_pending_remove``) go."""
    if _store is None or user is None:
        return []
    own = QueryDict(mutable=True)
    own.setlist(_store.FIELD, post.getlist(f"{prefix}_pending"))
    own.setlist(_store.REMOVE_FIELD, post.getlist(f"{prefix}_pending_remove"))
    return _store.from_post(user=user, post=own)


def keep(*, user, files, already: list) -> list:
    if _store is None:
        return list(already)
    return _store.keep(user=user, files=files, already=already)


def as_uploads(kept: list) -> list:
    return _store.as_uploads(kept) if kept else []


def discard(kept: list) -> None:
    if kept:
        _store.discard(kept)
