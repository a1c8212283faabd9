"""Unmatched senders: someone wrote from an address no account holds. They are not a customer (nothing of
any account's reaches them, no guess joins their words to an account's case) until a person says who they
are, or they prove an address we hold. Then their cases move to the account, and a case about a problem
the account already has open joins it.

Also here: a chat held apart until its sender proved the address joins the account's open case about the
same problem once they have."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.cases import services as cases
from frontline.cases.models import Case, Message
from frontline.customers import services as customers
from frontline.customers.mentions import with_parents
from frontline.customers.models import (
    ContactKind,
    ContactPoint,
    Customer,
    Membership,
    Person,
    ServiceUnit,
    Standing,
)
from frontline.intake import placement
from frontline.intake.models import ChatSession

MOST_SUGGESTIONS = 8


@dataclass(frozen=True)
class Matched:
    person: Person  # who the sender's addresses belong to now
    cases: list[Case]  # their cases as they are now: moved, or merged into the account's open case


@transaction.atomic
def match_sender(
    sender: Customer, *, into: Customer, person: Person | None = None, by: Agent, via: str = "web"
) -> Matched:
    """Say who an unmatched sender is."""
    require(by, Capability.WORK_CASES)
    theirs = list(Case.objects.filter(customer=sender, merged_into=None).order_by("pk"))
    # Where each fits, decided before any moves: the account's open cases as they were. A case whose sender
    # has not proven their address yet moves but joins nothing: it does when they do (join_open_case).
    fits = {
        case.pk: _same_problem(into, case) if case.is_open and not case.unproven_claim else placement.NEW
        for case in theirs
    }
    person = customers.match_sender(sender, into=into, person=person, by=by, via=via)
    reason = f"{sender.name} is {person.name} of {into.name}"
    moved = []
    for case in theirs:
        case = cases.move_case(case, customer=into, requester=person, reason=reason, by=by, via=via)
        fit = fits[case.pk]
        if fit.case is not None:
            case = _merge(case, fit, by=by, via=via)
        moved.append(case)
    return Matched(person, moved)


def join_open_case(case: Case, *, via: str) -> Case:
    """A case held apart until its sender proved who they are: it joins the account's open case about the
    same problem, if there is one, as a message would have."""
    if case.customer.standing != Standing.CUSTOMER or not case.is_open:
        return case
    fit = _same_problem(case.customer, case)
    if fit.case is None:
        return case
    return _merge(case, fit, by=None, via=via)


def _merge(case: Case, fit: placement.Placement, *, by, via: str) -> Case:
    """Merge, and the chat going on in the merged case goes on in the one it joined. Returns the merged
    case as it is now."""
    joined = cases.merge_cases(case, into=fit.case, by=by, reason=f"the same problem: {fit.reason}", via=via)
    ChatSession.objects.filter(case=case).update(case=joined)
    return Case.objects.get(pk=case.pk)


def _same_problem(account: Customer, case: Case) -> placement.Placement:
    first = Message.objects.filter(case=case).order_by("pk").values_list("body_text", flat=True).first() or ""
    return placement.by_similarity(account.pk, case.subject, first, leaving_out=case.pk)


def suggestions(sender: Customer) -> list[tuple[Customer, list[Person]]]:
    """Accounts the sender may belong to, with their people: those with a site or domain named as the
    sender's address's domain (or its parent: mail.castle-pm.example), and those with a person of the
    same name. Indexed lookups only: this runs on a page."""
    addresses = ContactPoint.objects.filter(
        Q(customer=sender) | Q(person__memberships__customer=sender), kind=ContactKind.EMAIL
    ).values_list("normalized", flat=True)
    domains = set()
    for address in addresses:
        domains.update(with_parents(address.rsplit("@", 1)[-1]))
    names = [sender.name, *Person.objects.filter(memberships__customer=sender).values_list("name", flat=True)]
    found = (
        Customer.objects.filter(
            Q(pk__in=ServiceUnit.objects.filter(name__in=domains).values("customer_id"))
            | Q(pk__in=Membership.objects.filter(person__name__in=names).values("customer_id")),
            standing=Standing.CUSTOMER,
        )
        .exclude(pk=sender.pk)
        .order_by("name")[:MOST_SUGGESTIONS]
    )
    return [(account, list(account.people.order_by("name"))) for account in found]
