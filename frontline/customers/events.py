"""The events the customers app writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EVENT_KINDS, EventKind
from frontline.events.services import record


def customer_created(*, customer, by, via: str) -> None:
    """data: plan, tier."""
    record(
        EventKind.CUSTOMER_CREATED,
        actor=by,
        via=via,
        customer=customer,
        plan=customer.plan,
        tier=customer.tier,
    )


def customer_updated(*, customer, before: dict, after: dict, by, via: str) -> None:
    """data: before, after (each field changed, as text)."""
    record(EventKind.CUSTOMER_UPDATED, actor=by, via=via, customer=customer, before=before, after=after)


def person_added(*, customer, person, role: str, by, via: str) -> None:
    """data: person_id, role."""
    record(EventKind.PERSON_ADDED, actor=by, via=via, customer=customer, person_id=person.pk, role=role)


def person_linked(*, customer, person, role: str, by, via: str) -> None:
    """data: person_id, role."""
    record(EventKind.PERSON_LINKED, actor=by, via=via, customer=customer, person_id=person.pk, role=role)


def contact_added(*, customer, point, by, via: str, person=None) -> None:
    """data: contact_id, kind, value. `person`: the customer's own person who added it (the portal)."""
    record(
        EventKind.CONTACT_ADDED,
        actor=by,
        actor_person=person,
        via=via,
        customer=customer,
        contact_id=point.pk,
        kind=point.kind,
        value=point.value,
    )


def contact_verified(*, customer, point, by, via: str) -> None:
    """data: contact_id."""
    record(EventKind.CONTACT_VERIFIED, actor=by, via=via, customer=customer, contact_id=point.pk)


def contact_failing(*, customer, point, reason: str, by, via: str) -> None:
    """data: contact_id, value, reason (the evidence: the bounce or refusal)."""
    record(
        EventKind.CONTACT_FAILING,
        actor=by,
        actor_label="system",
        via=via,
        customer=customer,
        contact_id=point.pk,
        value=point.value,
        reason=reason,
    )


def contact_retired(*, customer, point, by, person, via: str, replaced_by=None) -> None:
    """data: contact_id, kind, value, replaced_by (the id of the point that corrects it, if any)."""
    record(
        EventKind.CONTACT_RETIRED,
        actor=by,
        actor_person=person,
        via=via,
        customer=customer,
        contact_id=point.pk,
        kind=point.kind,
        value=point.value,
        replaced_by=replaced_by.pk if replaced_by else None,
    )


def unit_added(*, unit, by, via: str) -> None:
    """data: kind, name."""
    record(
        EventKind.UNIT_ADDED,
        actor=by,
        via=via,
        customer=unit.customer,
        unit=unit,
        kind=unit.kind,
        name=unit.name,
    )


def unit_state_changed(*, unit, previous: str, reason: str, by, actor_label: str, via: str) -> None:
    """data: state, previous, reason."""
    record(
        EventKind.UNIT_STATE_CHANGED,
        actor=by,
        actor_label=actor_label,
        via=via,
        customer=unit.customer,
        unit=unit,
        state=unit.state,
        previous=previous,
        reason=reason,
    )


SENDER_MATCHED = EVENT_KINDS.declare("customer.sender_matched", "Sender matched to an account")


def sender_matched(*, customer, into, person, by, via: str) -> None:
    """An unmatched sender is part of an account now. Recorded on both. data: sender_id (the unmatched
    record), into_id, person_id (who their addresses now belong to)."""
    for side in (customer, into):
        record(
            SENDER_MATCHED,
            actor=by,
            via=via,
            customer=side,
            sender_id=customer.pk,
            into_id=into.pk,
            person_id=person.pk,
        )


CONTACT_RELABELLED = EVENT_KINDS.declare("contact.relabelled", "Contact point relabelled")


def contact_relabelled(*, customer, point, before: str, by, via: str) -> None:
    """data: contact_id, before, label."""
    record(
        CONTACT_RELABELLED,
        actor=by,
        via=via,
        customer=customer,
        contact_id=point.pk,
        before=before,
        label=point.label,
    )


PERSON_ROLE_CHANGED = EVENT_KINDS.declare("person.role_changed", "Person's role changed")


def person_role_changed(*, customer, person, before: str, role: str, by, via: str) -> None:
    """data: person_id, before, role."""
    record(
        PERSON_ROLE_CHANGED,
        actor=by,
        via=via,
        customer=customer,
        person_id=person.pk,
        before=before,
        role=role,
    )


PERSON_UNLINKED = EVENT_KINDS.declare("person.unlinked", "Person no longer acts for the account")


def person_unlinked(*, customer, person, role: str, by, via: str) -> None:
    """data: person_id, role (the one they had)."""
    record(PERSON_UNLINKED, actor=by, via=via, customer=customer, person_id=person.pk, role=role)


UNIT_REACH_CHANGED = EVENT_KINDS.declare("unit.reach_changed", "Service unit's reach changed")


def unit_reach_changed(*, unit, previous: int, by, via: str) -> None:
    """data: end_users, previous."""
    record(
        UNIT_REACH_CHANGED,
        actor=by,
        via=via,
        customer=unit.customer,
        unit=unit,
        end_users=unit.end_users,
        previous=previous,
    )
