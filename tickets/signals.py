"""Hooks where the SLA clock and the notification outbox attach.

Each is sent by ``tickets.services`` inside the transaction of the change, so a
receiver's rows (SLA events, outgoing mail) commit or roll back with it. Receivers must
not talk to the network: they write rows; workers act on them after commit.
"""

from django.dispatch import Signal

ticket_filed = Signal()  # ticket, actor
ticket_status_changed = Signal()  # ticket, actor, old, new, reason
ticket_priority_changed = Signal()  # ticket, actor, old, new, reason
ticket_assigned = Signal()  # ticket, actor, old, new
ticket_linked = Signal()  # link, actor
comment_added = Signal()  # comment, actor
