"""Customer lookup for agents taking calls, and the customer page."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from frontline.cases.models import Case
from frontline.core.db import digits
from frontline.core.errors import ServiceError
from frontline.customers import services
from frontline.customers.models import ContactKind, Customer, MembershipRole, Person
from frontline.customers.queries import customer_panel, working_channel_flags
from frontline.customers.services import find_customers
from frontline.web.access import agent_required


@require_GET
@agent_required
def lookup(request):
    query = request.GET.get("q", "")[:200]
    customers = list(find_customers(query)) if query else []
    flags = working_channel_flags([c.pk for c in customers])
    results = [(customer, flags[customer.pk]) for customer in customers]
    return render(request, "customers/lookup.html", {"query": query, "results": results})


@require_GET
@agent_required
def customer_detail(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    cases = (
        Case.objects.filter(customer=customer)
        .select_related("assignee", "topic")
        .order_by("-created_at")[:50]
    )
    context = {
        "panel": customer_panel(customer),
        "cases": cases,
        "roles": MembershipRole.choices,
        "kinds": ContactKind.choices,
    }
    return render(request, "customers/customer.html", context)


def _person(raw: str) -> Person:
    if not digits(raw.strip()) or int(raw) >= 2**62:
        raise ServiceError("give the person's number", field="person")
    return get_object_or_404(Person, pk=int(raw))


@require_POST
@agent_required
def add_person(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    person = services.add_person(
        customer,
        name=request.POST.get("name", ""),
        role=request.POST.get("role", ""),
        by=request.agent,
        via="web",
    )
    messages.success(request, f"{person.name} now acts for {customer.name}.")
    return redirect("customers:detail", pk=customer.pk)


@require_POST
@agent_required
def link_person(request, pk: int):
    """Someone we know from another account acts for this one too (an agency, a consultant)."""
    customer = get_object_or_404(Customer, pk=pk)
    person = _person(request.POST.get("person", ""))
    services.link_person(person, customer, role=request.POST.get("role", ""), by=request.agent, via="web")
    messages.success(request, f"{person.name} now acts for {customer.name} too.")
    return redirect("customers:detail", pk=customer.pk)


@require_POST
@agent_required
def set_role(request, pk: int, person_pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    person = get_object_or_404(Person, pk=person_pk)
    services.set_role(person, customer, role=request.POST.get("role", ""), by=request.agent, via="web")
    messages.success(request, f"{person.name}'s role is changed.")
    return redirect("customers:detail", pk=customer.pk)


@require_POST
@agent_required
def unlink_person(request, pk: int, person_pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    person = get_object_or_404(Person, pk=person_pk)
    services.unlink_person(person, customer, by=request.agent, via="web")
    messages.success(request, f"{person.name} no longer acts for {customer.name}.")
    return redirect("customers:detail", pk=customer.pk)


@require_POST
@agent_required
def add_contact(request, pk: int):
    """An address or number for one of the account's people, or for the account itself (a shared mailbox)."""
    customer = get_object_or_404(Customer, pk=pk)
    owner = request.POST.get("owner", "account")
    person = None if owner == "account" else _person(owner)
    if person is not None and not person.memberships.filter(customer=customer).exists():
        raise ServiceError(f"{person.name} does not act for {customer.name}", field="owner")
    point = services.add_contact_point(
        kind=request.POST.get("kind", ""),
        value=request.POST.get("value", ""),
        label=request.POST.get("label", ""),
        person=person,
        customer=None if person else customer,
        ask_to_verify=True,
        by=request.agent,
        via="web",
    )
    messages.success(request, f"Added {point.value}; it was asked to confirm.")
    return redirect("customers:detail", pk=customer.pk)
