"""What the cases app says happened, for the apps above it to act on (routing keeps its track records).

Sent inside the transaction of the change, so a listener's writes commit with it or not at all. Cases
imports none of its listeners: they connect in their own `AppConfig.ready()`.
"""

from django.dispatch import Signal

# A case left the open statuses (resolved or closed). Arguments: case.
case_finished = Signal()
# A finished case came back; case.reopen_count already counts this time. Arguments: case.
case_reopened = Signal()
