"""Optional work beside a change: its failure is logged and never undoes the change."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

logger = logging.getLogger("helpdesk.optional")


@contextmanager
def optional(what: str, **facts) -> Iterator[None]:
    """Run the block in a savepoint; if it fails, roll back only the block, log why and
    carry on. For moderation flags, counters and caches: never for state, history, SLA
    events or mail rows, which must commit with the change or make it fail."""
    try:
        with transaction.atomic():
            yield
    except Exception:
        logger.exception("Optional work failed and was skipped: %s %s", what, facts or "")
