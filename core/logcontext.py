"""What every log line carries: the request id, the user id, the ticket number, the
Celery task id. Values live in context variables (per thread and per asyncio task); a
log record factory stamps them on every record at creation, so every handler, formatter
and Sentry see them, whichever library logged."""

import contextvars
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

FIELDS = ("request_id", "user_id", "ticket", "task_id", "task")
_vars = {name: contextvars.ContextVar(f"helpdesk_log_{name}", default=None) for name in FIELDS}

# A request id from outside is kept only if it looks like one (no log injection).
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def bind(**values) -> None:
    """Set fields for the rest of this request or task (None clears one)."""
    for name, value in values.items():
        _vars[name].set(None if value is None else str(value))


def current() -> dict[str, str]:
    return {name: var.get() for name, var in _vars.items() if var.get() is not None}


def clear() -> None:
    for var in _vars.values():
        var.set(None)


@contextmanager
def bound(**values) -> Iterator[None]:
    """Fields set for a block only (e.g. one mail of a batch)."""
    tokens = {name: _vars[name].set(None if v is None else str(v)) for name, v in values.items()}
    try:
        yield
    finally:
        for name, token in tokens.items():
            _vars[name].reset(token)


_installed = False


def install_record_factory() -> None:
    """Stamp the context on every LogRecord (once per process)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        for name, var in _vars.items():
            value = var.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class PlainFormatter(logging.Formatter):
    """Readable lines (the demo, a developer's terminal): the message, then the context
    that is set, e.g. ``[request_id=3f… user_id=7 ticket=HD-2026-00042]``."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{name}={getattr(record, name)}" for name in FIELDS if hasattr(record, name)
        )
        return f"{line} [{context}]" if context else line
