from django.dispatch import Signal

# Sent by the sweep inside its transaction: kind (an SlaEventKind), ticket_ids.
# The mail issue turns these into notifications (assignee at risk; assignee and managers
# on a breach).
sla_events_recorded = Signal()
