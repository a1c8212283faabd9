"""An event says who acted: a person of the customer, a member of staff, a rule or the system."""

from frontline.cases import services as cases
from frontline.events.models import ActorKind, Event, EventKind


def test_a_customers_message_names_the_person_who_wrote_and_a_reply_the_agent(sam, sam_person, tom):
    # given a case Sam opened by email
    case = cases.open_case(
        customer=sam,
        subject="Site down",
        body="walkerblog.example is down.",
        channel="email",
        requester=sam_person,
        sender="sam@walkerblog.example",
    )
    received = Event.objects.get(case=case, kind=EventKind.MESSAGE_RECEIVED)
    # then the contact is the customer's doing, shown as the address they wrote from
    assert received.actor_person == sam_person and received.actor_kind == ActorKind.CUSTOMER
    assert received.who == "sam@walkerblog.example"
    # and a note by Tom is staff's
    cases.add_internal_note(case, by=tom, body="Looking at web-07.")
    noted = Event.objects.get(case=case, kind=EventKind.NOTE_ADDED)
    assert noted.actor_kind == ActorKind.STAFF and noted.actor_person is None and noted.who == str(tom)
