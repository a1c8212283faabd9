"""What monitoring says happened, for the apps above it (incidents) to act on. Sent inside the
transaction of the change; monitoring imports none of its listeners.
"""

from django.dispatch import Signal

# A customer's unit changed health because of alerts. Arguments: unit, previous, health, alert (the alert
# that changed it), started_at (when the problem started for the customer: the alert's startsAt).
unit_health_changed = Signal()
# One of our components changed health. Arguments: component, previous, health, alert, started_at.
component_health_changed = Signal()
