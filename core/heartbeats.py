"""Heartbeats and leases (``core.models``): the writes and reads operations need."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import Heartbeat, Lease

WORKER_PREFIX = "worker:"
SLA_SWEEP = "sla-sweep"


def heartbeat_record(*, name: str, detail: str = "", now: datetime.datetime | None = None) -> None:
    """Note that ``name`` is alive now (one row per name, overwritten)."""
    Heartbeat.objects.update_or_create(
        name=name, defaults={"at": now or timezone.now(), "detail": detail[:500]}
    )


def heartbeat_age(*, name: str, now: datetime.datetime | None = None) -> float | None:
    """Seconds since ``name`` last beat, or None if it never did."""
    at = Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
    return None if at is None else ((now or timezone.now()) - at).total_seconds()


def worker_queue_ages(*, now: datetime.datetime | None = None) -> dict[str, float]:
    """For each queue some worker consumes: seconds since the freshest of them beat."""
    now = now or timezone.now()
    ages: dict[str, float] = {}
    for at, detail in Heartbeat.objects.filter(name__startswith=WORKER_PREFIX).values_list(
        "at", "detail"
    ):
        age = (now - at).total_seconds()
        for queue in filter(None, detail.split(",")):
            ages[queue] = min(age, ages.get(queue, age))
    return ages


def heartbeats_prune(*, older_than: datetime.timedelta,
                     now: datetime.datetime | None = None) -> int:
    """Forget the rows of workers that stopped beating this long ago (a worker killed, or
    a host renamed, never removes its own row). Returns how many went."""
    cutoff = (now or timezone.now()) - older_than
    deleted, _ = Heartbeat.objects.filter(name__startswith=WORKER_PREFIX, at__lt=cutoff).delete()
    return deleted


def lease_acquire(*, name: str, holder: str, seconds: float) -> bool:
    """Take or renew the lease ``name`` for ``seconds``: True if ``holder`` has it now.

    A compare-and-swap on one row (held by us, or expired), so two runners never both
    hold it; no session-level lock, so it works through a transaction pooler."""
    now = timezone.now()
    expires_at = now + datetime.timedelta(seconds=seconds)
    taken = (
        Lease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(expires_at__lte=now))
        .update(holder=holder, expires_at=expires_at)
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, expires_at=expires_at)
    except IntegrityError:  # someone else holds it
        return False
    return True


def lease_release(*, name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).delete()

