"""What the delivery app says happened, for the apps above it to act on.

Sent inside the transaction of the change; listeners connect in their own `AppConfig.ready()`.
"""

from django.dispatch import Signal

# A mail server reported that one of our sends bounced (the address is already condemned): a
# notification's ladder may climb at once. Arguments: attempt.
attempt_bounced = Signal()
