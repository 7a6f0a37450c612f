"""The sweep hands a recalculation to a worker once: not again while one works it off."""

import threading

import pytest
from django.db import connection, transaction

from sla.models import RecalculationRequest
from tickets import periodic


@pytest.mark.django_db(transaction=True)
def test_a_recalculation_being_worked_off_is_not_pending_for_the_sweep():
    request = RecalculationRequest.objects.create(note="policy changed")
    assert periodic.sla_recalculations_pending()
    claimed, release = threading.Event(), threading.Event()

    def worker():  # what sla_recalculations_run holds while it recomputes the tickets
        try:
            with transaction.atomic():
                RecalculationRequest.objects.select_for_update().get(pk=request.pk)
                claimed.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert claimed.wait(10)
        assert not periodic.sla_recalculations_pending()
        waiting = RecalculationRequest.objects.create(note="calendar changed")
        assert periodic.sla_recalculations_pending()  # another one still goes to a worker
        waiting.delete()
    finally:
        release.set()
        thread.join()
    assert periodic.sla_recalculations_pending()  # not done: the next sweep hands it on
