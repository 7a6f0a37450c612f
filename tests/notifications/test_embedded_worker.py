"""The developer's default: no REDIS_URL and no EMAIL_URL. A real worker consumes kombu's
filesystem broker under VAR_DIR and each mail lands as an .eml file in VAR_DIR/mail/."""

import pytest

from notifications.models import Notification, NotificationStatus
from tests import factories
from tests.notifications.conftest import broker, start_worker, stop_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_embedded_broker_delivers_a_filed_tickets_mail_to_var_mail(
    tmp_path, settings, customer, agent
):
    var = tmp_path / "var"
    folder = var / "celery"
    (folder / "processed").mkdir(parents=True)
    (var / "mail").mkdir()
    queue = "mail-embedded"
    settings.MAIL_CELERY_QUEUE = queue
    worker = start_worker(
        tmp_path,
        {"VAR_DIR": str(var)},
        queue=queue,
        drop=("REDIS_URL", "EMAIL_URL", "EMAIL_BACKEND"),
    )
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }
    try:
        with broker("filesystem://localhost/", options):
            ticket = factories.TicketFactory(requester=customer)
        wait_for(
            lambda: (
                set(Notification.objects.values_list("status", flat=True))
                == {NotificationStatus.SENT}
            ),
            worker=worker,
        )
    finally:
        stop_worker(worker)
    # The worker connected to the broker without kombu's "No hostname was supplied".
    assert "Connected to filesystem://" in worker.output()
    assert "No hostname" not in worker.output()
    files = sorted((var / "mail").iterdir())
    assert files and {f.suffix for f in files} == {".eml"}
    assert len(files) == Notification.objects.count()
    mails = "".join(f.read_text(errors="replace") for f in files)
    assert mails.count(f"[{ticket.number}]") >= 2
    assert f"To: {customer.email}" in mails and f"To: {agent.email}" in mails
