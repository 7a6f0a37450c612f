"""Redis down: the helpdesk still takes work, and the mail it wrote arrives once Redis is
back, exactly once.

Redis is both the Celery broker and Django's cache. Each test runs a redis-server of its
own (tests/faults/conftest.py: never the shared one), arranges what it needs while it is
up, kills it, and then does what customers and agents do: file in the portal and through
the service, comment, fire every transition, receive mail. Each must succeed as if
nothing had happened and write its outgoing mail to the outbox, pending. The last test
then brings Redis back on the same port (empty: what was queued before the crash is
lost), starts a real Celery worker, runs the relay and counts what reaches the SMTP sink.

The tests are transactional: the after-commit publishing really runs against the dead
broker, and the worker, another process, sees the committed rows.
"""

import time
import traceback
from collections import Counter
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db.models import Max
from django.test import Client
from django.urls import reverse

from accounts.models import User
from mailin.models import Source
from mailin.models import Status as InboundStatus
from mailin.services import inbound_receive
from notifications import delivery
from notifications.models import Notification, NotificationStatus
from notifications.tokens import reply_address
from tests import factories
from tests.faults.conftest import RedisCalls, project_code
from tests.helpers import drive_to
from tests.inbound.conftest import render
from tickets import services
from tickets.models import (
    Channel,
    Comment,
    EventKind,
    LinkKind,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketType,
)

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Helpdesk:
    customer: User
    agent: User  # the only agent: triage mail goes to them

    def ticket(self, state: str, **fields) -> Ticket:
        """A ticket of the customer's, brought to `state` through the real services."""
        ticket = factories.TicketFactory(requester=self.customer, **fields)
        return drive_to(ticket, state, agent=self.agent, customer=self.customer)


@pytest.fixture
def helpdesk(redis, customer, agent) -> Helpdesk:
    return Helpdesk(customer=customer, agent=agent)


# --- the work, each in two steps: arranged while Redis is up | done while it is down ---
#
# Each action is a generator: the code before `yield` arranges (Redis up), the code after
# it acts and checks what was written (Redis down).


def file_in_the_portal(hd: Helpdesk):
    client = Client(raise_request_exception=False)  # a 500 is a page, as in a browser
    client.force_login(hd.customer)
    subject = "Waybill printout is cut off since the update"
    yield
    response = client.post(
        reverse("portal:ticket_new"),
        {
            "type": TicketType.INCIDENT,
            "priority": Priority.HIGH,
            "subject": subject,
            "body": "The last column is missing on A4 since the update.",
        },
    )
    assert response.status_code == 302, server_error(response)
    ticket = Ticket.objects.get(requester=hd.customer, subject=subject)
    assert response["Location"] == reverse("portal:ticket_detail", args=[ticket.number])
    assert ticket.channel == Channel.WEB and ticket.status == Status.NEW


def file_through_the_service(hd: Helpdesk):
    yield
    ticket = services.ticket_file(
        requester=hd.customer,
        subject="Invoice run stops at batch 7",
        body="Every night since Monday.",
        type=TicketType.INCIDENT,
        priority=Priority.HIGH,
    )
    assert Ticket.objects.filter(pk=ticket.pk, status=Status.NEW).exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.FILED).exists()


def comment_as_the_customer(hd: Helpdesk):
    ticket = hd.ticket(Status.IN_PROGRESS)
    yield
    comment = services.comment_add(
        ticket=ticket, author=hd.customer, body="It happens on every batch, not only 7."
    )
    assert Comment.objects.filter(
        pk=comment.pk, ticket=ticket, author=hd.customer, is_internal=False
    ).exists()


def accept(hd: Helpdesk):
    ticket = hd.ticket(Status.NEW)
    yield
    services.ticket_accept(ticket=ticket, actor=hd.agent)
    moved(ticket, Status.IN_PROGRESS)
    assert ticket.assignee == hd.agent


def request_info(hd: Helpdesk):
    ticket = hd.ticket(Status.IN_PROGRESS)
    yield
    services.ticket_request_info(ticket=ticket, actor=hd.agent, message="Which browser?")
    moved(ticket, Status.WAITING_FOR_CUSTOMER)
    assert Comment.objects.filter(ticket=ticket, author=hd.agent, body="Which browser?").exists()


def resume(hd: Helpdesk):
    ticket = hd.ticket(Status.WAITING_FOR_CUSTOMER)
    yield
    services.ticket_resume(ticket=ticket, actor=hd.agent)
    moved(ticket, Status.IN_PROGRESS)


def resolve(hd: Helpdesk):
    ticket = hd.ticket(Status.IN_PROGRESS)
    yield
    services.ticket_resolve(ticket=ticket, actor=hd.agent, message="The template is restored.")
    moved(ticket, Status.RESOLVED)


def close(hd: Helpdesk):
    ticket = hd.ticket(Status.RESOLVED)
    yield
    services.ticket_close(ticket=ticket, actor=hd.customer, message="Works now, thank you.")
    moved(ticket, Status.CLOSED)


def reopen(hd: Helpdesk):
    ticket = hd.ticket(Status.CLOSED)  # just closed: well within the reopen window
    yield
    services.ticket_reopen(ticket=ticket, actor=hd.customer, message="Broken again today.")
    moved(ticket, Status.IN_PROGRESS)


def reject(hd: Helpdesk):
    ticket = hd.ticket(Status.NEW)
    yield
    services.ticket_reject(ticket=ticket, actor=hd.agent, reason="Out of the contract's scope.")
    moved(ticket, Status.REJECTED)


def mark_duplicate(hd: Helpdesk):
    original, repeat = hd.ticket(Status.IN_PROGRESS), hd.ticket(Status.NEW)
    yield
    services.ticket_mark_duplicate(ticket=repeat, actor=hd.agent, original=original)
    moved(repeat, Status.CLOSED)
    assert TicketLink.objects.filter(
        source=repeat, target=original, kind=LinkKind.DUPLICATE_OF
    ).exists()


def mail_in_a_new_ticket(hd: Helpdesk):
    raw = render("new_ticket_plain.eml", customer=hd.customer.email, support=settings.SUPPORT_EMAIL)
    yield
    inbound = inbound_receive(raw=raw, source=Source.FILE)
    assert inbound.status == InboundStatus.TICKET, outcome(inbound)
    assert inbound.ticket.requester == hd.customer
    assert inbound.ticket.channel == Channel.EMAIL


def mail_in_a_reply(hd: Helpdesk):
    ticket = hd.ticket(Status.IN_PROGRESS)
    raw = render(
        "reply_token.eml",
        customer=hd.customer.email,
        reply_address=reply_address(ticket),
        ticket_number=ticket.number,
    )
    yield
    inbound = inbound_receive(raw=raw, source=Source.FILE)
    assert inbound.status == InboundStatus.COMMENT, outcome(inbound)
    assert inbound.comment.ticket == ticket and inbound.comment.author == hd.customer


TRANSITIONS = {
    action.__name__: action
    for action in (
        accept,
        request_info,
        resume,
        resolve,
        close,
        reopen,
        reject,
        mark_duplicate,
    )
}
EVERYTHING = [
    file_in_the_portal,
    file_through_the_service,
    comment_as_the_customer,
    *TRANSITIONS.values(),
    mail_in_a_new_ticket,
    mail_in_a_reply,
]


# --- helpers ---------------------------------------------------------------------------


def arrange(action, hd: Helpdesk):
    steps = action(hd)
    next(steps)
    return steps


def act(steps) -> None:
    for _ in steps:
        raise AssertionError("an action yields once: between arranging and acting")


def moved(ticket: Ticket, state: str) -> None:
    ticket.refresh_from_db()
    assert ticket.status == state
    history = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS, new_value=state)
    assert history.exists()


def server_error(response) -> str:
    if not getattr(response, "exc_info", None):
        return f"status {response.status_code}"
    _type, exc, tb = response.exc_info
    frames = [f for f in traceback.extract_tb(tb) if project_code(f.filename)]
    where = f" in {frames[-1].filename}:{frames[-1].lineno} {frames[-1].name}" if frames else ""
    return (
        f"status {response.status_code}: {type(exc).__module__}.{type(exc).__name__}{where}: {exc}"
    )


def outcome(inbound) -> str:
    return f"the mail was {inbound.status} ({inbound.reason}): {inbound.detail}"


def last_row() -> int:
    return Notification.objects.aggregate(last=Max("pk"))["last"] or 0


def pending_mail_since(mark: int) -> list[Notification]:
    """The mail the action wrote: some, and all of it pending (waiting for the relay)."""
    rows = list(Notification.objects.filter(pk__gt=mark).order_by("pk"))
    assert rows, "no mail was written"
    assert {row.status for row in rows} == {NotificationStatus.PENDING}, [
        (row.to_email, row.event, row.status, row.suppressed_reason) for row in rows
    ]
    return rows


def succeeds_with_redis_down(action, hd: Helpdesk, redis) -> None:
    steps = arrange(action, hd)
    with redis.down():
        mark = last_row()
        act(steps)
        pending_mail_since(mark)


# --- with Redis down, every way in works -------------------------------------------------


def test_filing_in_the_portal_succeeds_with_redis_down(helpdesk, redis):
    succeeds_with_redis_down(file_in_the_portal, helpdesk, redis)


def test_filing_through_the_service_succeeds_with_redis_down(helpdesk, redis):
    succeeds_with_redis_down(file_through_the_service, helpdesk, redis)


def test_a_customers_comment_succeeds_with_redis_down(helpdesk, redis):
    succeeds_with_redis_down(comment_as_the_customer, helpdesk, redis)


@pytest.mark.parametrize("transition", TRANSITIONS)
def test_every_transition_succeeds_with_redis_down(transition, helpdesk, redis):
    succeeds_with_redis_down(TRANSITIONS[transition], helpdesk, redis)


def test_a_customers_mail_becomes_a_ticket_with_redis_down(helpdesk, redis):
    succeeds_with_redis_down(mail_in_a_new_ticket, helpdesk, redis)


def test_a_customers_mailed_reply_becomes_a_comment_with_redis_down(helpdesk, redis):
    succeeds_with_redis_down(mail_in_a_reply, helpdesk, redis)


# --- and once Redis is back, the mail goes out, once -------------------------------------


def test_mail_written_while_redis_was_down_arrives_exactly_once_after_it_is_back(
    helpdesk, redis, mail_worker, smtp_sink
):
    smtp_sink.reset()
    arranged = [(action.__name__, arrange(action, helpdesk)) for action in EVERYTHING]
    problems, written = [], {}
    with redis.down() as calls:
        for name, steps in arranged:
            mark, calls_mark = last_row(), calls.mark()
            try:
                act(steps)
                written[name] = pending_mail_since(mark)
            except Exception as exc:
                problems.append(
                    f"{name} failed with Redis down: {type(exc).__name__}: {exc}\n"
                    + RedisCalls.report(calls.since(calls_mark))
                )

    redis.start()  # same port, empty: the tasks queued before the crash are gone
    pending = {row.message_id: row for row in Notification.objects.order_by("pk")}
    assert {row.status for row in pending.values()} == {NotificationStatus.PENDING}
    assert all(row.message_id in pending for rows in written.values() for row in rows)
    worker = mail_worker()

    queued = delivery.notifications_relay()  # what beat runs every minute
    if queued != len(pending):
        problems.append(f"the relay queued {queued} of the {len(pending)} pending mails")
    deadline = time.monotonic() + 30
    while len(smtp_sink.messages) < len(pending) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # anything sent twice would come now
    again = delivery.notifications_relay()  # a second run finds nothing left to queue
    time.sleep(1.0)

    per_id = Counter(m["Message-ID"].strip() for m in smtp_sink.parsed())
    missing = [pending[i] for i in pending if i not in per_id]
    twice = {i: n for i, n in per_id.items() if n > 1}
    unknown = [i for i in per_id if i not in pending]
    left = list(
        Notification.objects.exclude(status=NotificationStatus.SENT).values_list(
            "pk", "event", "to_email", "status", "attempts", "last_error"
        )
    )
    print(
        f"{len(pending)} mails pending when Redis came back ({sum(map(len, written.values()))} "
        f"written while it was down); {sum(per_id.values())} arrived, "
        f"{len(per_id)} distinct Message-IDs"
    )
    if missing:
        problems.append(
            f"{len(missing)} of {len(pending)} mails never arrived: "
            + ", ".join(f"{r.event} to {r.to_email}" for r in missing)
            + f"\nworker log:\n{worker.output()[-3000:]}"
        )
    if twice:
        problems.append(f"mails that arrived more than once: {twice}")
    if unknown:
        problems.append(f"mails that match no outbox row: {unknown}")
    if left:
        problems.append(f"rows not sent: {left}")
    if again:
        problems.append(f"the second relay run queued {again} rows again")
    assert not problems, "\n\n".join(problems)
    assert len(per_id) == len(pending) and set(written) == {a.__name__ for a in EVERYTHING}
