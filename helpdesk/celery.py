"""The Celery application.

With ``REDIS_URL`` set, Redis is the broker. Without it (a developer's laptop) the broker
is kombu's filesystem transport under ``var/celery``: a real worker process consumes real
messages, so development behaves like production without a Redis server.

Operations: each worker writes a heartbeat row every ``WORKER_HEARTBEAT_SECONDS`` naming
the queues it consumes (``/health/ready`` reads them), and beat runs the schedule only
while it holds a database lease (``LeasedScheduler``), so a second beat stays quiet.
"""

import logging
import os
import socket
import threading
import time
import uuid

from celery import Celery, signals
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger("helpdesk.celery")

BEAT_LEASE = "celery-beat"


# --- logs: Django's LOGGING in the worker too, and the task on every line --------------


@signals.setup_logging.connect
def _django_logging(**kwargs):
    """Connected, so Celery leaves the root logger alone: the worker logs through
    settings.LOGGING (JSON lines in production) like the web process."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def _pass_request_id(headers=None, **kwargs):
    """A task published by a request carries its request id into the worker's lines."""
    from core import logcontext

    request_id = logcontext.current().get("request_id")
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


@signals.task_prerun.connect
def _bind_task(task_id=None, task=None, **kwargs):
    from core import logcontext

    logcontext.clear()
    logcontext.bind(
        task_id=task_id, task=task.name, request_id=getattr(task.request, "request_id", None)
    )


@signals.task_postrun.connect
def _unbind_task(**kwargs):
    from core import logcontext

    logcontext.clear()


# --- the worker's heartbeat -------------------------------------------------------------

_stop_heartbeat = threading.Event()


def _heartbeat_name(hostname: str) -> str:
    from core.heartbeats import WORKER_PREFIX

    return f"{WORKER_PREFIX}{hostname}"


def _beat_once(name: str, queues: str) -> None:
    from django.db import connection

    from core.heartbeats import heartbeat_record

    try:
        heartbeat_record(name=name, detail=queues)
    except Exception:  # noqa: BLE001 - the database may be down; readiness will say so
        logger.warning("Worker heartbeat not written", exc_info=True)
    finally:
        connection.close()  # this thread's own connection


def _heartbeat_loop(name: str, queues: str, every: float) -> None:
    while not _stop_heartbeat.is_set():
        _beat_once(name, queues)
        _stop_heartbeat.wait(every)


@signals.worker_ready.connect
def _start_heartbeat(sender, **kwargs):
    from django.conf import settings

    queues = ",".join(sorted(sender.app.amqp.queues.consume_from))
    name = _heartbeat_name(sender.hostname)
    _stop_heartbeat.clear()
    thread = threading.Thread(
        target=_heartbeat_loop,
        args=(name, queues, settings.WORKER_HEARTBEAT_SECONDS),
        name="helpdesk-heartbeat",
        daemon=True,
    )
    thread.start()


@signals.worker_shutdown.connect
def _stop_heartbeat_on_shutdown(sender, **kwargs):
    """A worker that stops cleanly says so at once: its queues show as missing."""
    from django.db import connection

    from core.models import Heartbeat

    _stop_heartbeat.set()
    try:
        Heartbeat.objects.filter(name=_heartbeat_name(sender.hostname)).delete()
    except Exception:  # noqa: BLE001
        logger.warning("Worker heartbeat not removed", exc_info=True)
    finally:
        connection.close()


# --- beat, one at a time ----------------------------------------------------------------


class LeasedScheduler(PersistentScheduler):
    """Celery beat's scheduler, running due entries only while it holds the lease.

    The sweeps are safe to overlap (compare-and-swap); the lease keeps a second beat
    quiet. A database row (``core.models.Lease``), not an advisory lock: it works through
    a transaction-pooling PgBouncer, and a beat that dies loses it after
    ``BEAT_LEASE_SECONDS``."""

    def __init__(self, *args, **kwargs):
        self.lease_holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._held = False
        self._renew_at = 0.0
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        if not self.holds_lease():
            return self.standby_interval()
        return min(super().tick(*args, **kwargs), self.renew_interval())

    def lease_seconds(self) -> float:
        from django.conf import settings

        return float(settings.BEAT_LEASE_SECONDS)

    def renew_interval(self) -> float:
        return self.lease_seconds() / 3

    def standby_interval(self) -> float:
        return self.lease_seconds() / 6

    def holds_lease(self) -> bool:
        now = time.monotonic()
        if self._held and now < self._renew_at:
            return True
        from django.db import connection

        from core.heartbeats import lease_acquire

        try:
            held = lease_acquire(
                name=BEAT_LEASE, holder=self.lease_holder, seconds=self.lease_seconds()
            )
        except Exception:  # noqa: BLE001 - database down: run nothing, try again
            logger.warning("Beat lease not renewed", exc_info=True)
            held = False
        finally:
            connection.close()
        if held != self._held:
            logger.info("Beat %s the lease %s", "holds" if held else "waits for", BEAT_LEASE)
        self._held, self._renew_at = held, now + self.renew_interval()
        return held

    def close(self):
        if self._held:
            from core.heartbeats import lease_release

            try:
                lease_release(name=BEAT_LEASE, holder=self.lease_holder)
            except Exception:  # noqa: BLE001
                logger.warning("Beat lease not released", exc_info=True)
        super().close()
