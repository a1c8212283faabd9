"""What the customers app says happened, for the apps above it to act on.

Sent inside the transaction of the change; listeners connect in their own `AppConfig.ready()`.
"""

from django.dispatch import Signal

# A contact point was added and its owner should be asked to confirm it (notifications sends the
# request after the commit). Arguments: point.
verification_wanted = Signal()

# A contact point no longer needs fixing: it was retired (corrected: `replaced_by` is the new point) or
# proven to work again. The to-dos about it are done. Arguments: point, outcome (words), by.
contact_settled = Signal()
