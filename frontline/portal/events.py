"""The events the portal writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EVENT_KINDS
from frontline.events.services import record

SIGN_IN_SENT = EVENT_KINDS.declare("portal.sign_in_sent", "Portal sign-in link sent")
SIGNED_IN = EVENT_KINDS.declare("portal.signed_in", "Signed in to the portal")


def sign_in_sent(*, point, customer) -> None:
    """data: contact_id, address (where the link went)."""
    record(
        SIGN_IN_SENT,
        actor_label="portal",
        via="portal",
        customer=customer,
        contact_id=point.pk,
        address=point.value,
    )


def signed_in(*, point, customer) -> None:
    """A one-time link was used. data: contact_id, address."""
    record(
        SIGNED_IN,
        actor_person=point.person,
        actor_label="" if point.person_id else point.value,
        via="portal",
        customer=customer,
        contact_id=point.pk,
        address=point.value,
    )
