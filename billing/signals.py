"""Hooks of the billing app.

Sent inside the transaction of the change, like ``tickets.signals``: a receiver's rows
commit or roll back with it.
"""

from django.dispatch import Signal

# An out-of-hours window of a ticket is approved by both parties: while it is open, the
# ticket's SLA clock runs around the clock (the SLA owner attaches here and reads
# ``billing.selectors.approved_windows``). Arguments: ticket, request, actor.
out_of_hours_approved = Signal()
