"""Notifications listens to customers and delivery (neither imports notifications)."""

from django.db import transaction
from django.dispatch import receiver

from frontline.customers import signals as customers
from frontline.delivery import signals as delivery
from frontline.notifications import services, tasks


@receiver(customers.verification_wanted, dispatch_uid="notifications.verification_wanted")
def ask_to_verify(sender, point, **kwargs):
    """The request goes out after the commit: a slow transport never holds the change that added it."""
    transaction.on_commit(lambda: tasks.verify_contact.enqueue(point.pk))


@receiver(delivery.attempt_bounced, dispatch_uid="notifications.attempt_bounced")
def climb_after_bounce(sender, attempt, **kwargs):
    if attempt.notification_id:
        services.escalate_after_bounce(attempt)
