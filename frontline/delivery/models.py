"""Every attempt to reach a customer, with what the other side answered: the evidence log.

The intake issue builds it for email replies and acknowledgements; notifications will add channels.
"""

from django.db import models


class AttemptStatus(models.TextChoices):
    SENDING = "sending", "Handed over, no answer yet"  # we crashed or hung before recording an answer
    ACCEPTED = "accepted", "Accepted by the server"  # the receiving server said 250 (not yet "delivered")
    REFUSED = "refused", "Refused"  # the server refused it outright (5xx) or nothing could connect
    DEFERRED = "deferred", "Temporarily refused"  # a 4xx answer: try again later, the address may be fine
    BOUNCED = "bounced", "Bounced"  # accepted, then a delivery report said it failed permanently
    DELAYED = "delayed", "Delayed"  # accepted, then a delivery report said it is still trying
    DELIVERED = "delivered", "Delivered"  # a delivery report confirmed delivery


class DeliveryAttempt(models.Model):
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="delivery_attempts"
    )
    message = models.ForeignKey(
        "cases.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="delivery_attempts"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_point = models.ForeignKey(
        "customers.ContactPoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=12)
    address = models.CharField(max_length=255)
    # Our Message-ID: how a delivery report finds the attempt it answers.
    header_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.SENDING)
    reply_code = models.PositiveSmallIntegerField(null=True, blank=True)
    reply_text = models.TextField(blank=True, help_text="The server's answer, word for word")
    attempted_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    report_status = models.CharField(max_length=16, blank=True, help_text="Enhanced status code, e.g. 5.1.1")
    report_detail = models.TextField(blank=True)
    report_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.channel} to {self.address}: {self.get_status_display()}"

    @property
    def failed(self) -> bool:
        return self.status in (AttemptStatus.REFUSED, AttemptStatus.DEFERRED, AttemptStatus.BOUNCED)
