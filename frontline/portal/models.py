"""What the customer portal keeps of its own: the one-time sign-in links it mailed."""

from django.db import models


class SignInLink(models.Model):
    """A one-time link mailed to an address we hold, on request. Only the token's digest is kept, so a copy
    of the database opens nobody's portal; it works once, within its short life. Whoever owns the address
    signs in: its person (with every account they act for), or the account whose shared mailbox it is."""

    point = models.ForeignKey("customers.ContactPoint", on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in link for {self.point.value}"
