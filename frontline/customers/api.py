"""Customers, people, contact points and service units over JSON."""

import datetime
from decimal import Decimal

from ninja import Router, Schema, Status
from pydantic import Field

from frontline.core.api import Id, In, Limit, PageOut, get_or_404
from frontline.core.pagination import keyset_page
from frontline.customers import services
from frontline.customers.models import ContactPoint, Customer, Membership, Person, ServiceUnit

router = Router(tags=["customers"])


class CustomerIn(In):
    name: str = Field(min_length=1, max_length=200)
    plan: str = "starter"
    tier: str = "standard"
    customer_since: datetime.date | None = None
    monthly_value: Decimal = Field(Decimal(0), ge=0, max_digits=10, decimal_places=2)
    notes: str = ""


class CustomerPatch(In):
    name: str | None = Field(None, min_length=1, max_length=200)
    plan: str | None = None
    tier: str | None = None
    monthly_value: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    notes: str | None = None


class CustomerOut(Schema):
    id: int
    name: str
    plan: str
    tier: str
    customer_since: datetime.date
    monthly_value: Decimal
    notes: str


class PersonIn(In):
    name: str = Field(min_length=1, max_length=200)
    role: str = "owner"


class PersonOut(Schema):
    id: int
    name: str


class MembershipOut(Schema):
    person: PersonOut
    role: str


class ContactIn(In):
    kind: str
    value: str = Field(min_length=1, max_length=255)
    label: str = Field("", max_length=40)


class ContactOut(Schema):
    id: int
    kind: str
    value: str
    label: str
    state: str
    verified_at: datetime.datetime | None
    last_failure_at: datetime.datetime | None
    failure_reason: str


class UnitIn(In):
    kind: str
    name: str = Field(min_length=1, max_length=255)
    parent_id: int | None = Field(None, ge=1, le=2**62)
    hostname: str = Field("", max_length=255)
    ip_address: str | None = None
    labels: dict[str, str] = {}


class UnitOut(Schema):
    id: int
    kind: str
    name: str
    parent_id: int | None
    hostname: str
    ip_address: str | None
    labels: dict
    state: str


def _actor(request):
    return {"by": request.agent, "via": "api"}


@router.get("/customers", response=PageOut[CustomerOut], summary="List customers by name")
def list_customers(request, after: str | None = None, limit: Limit = 50):
    page = keyset_page(Customer.objects.all(), order=("name", "pk"), after=after, size=limit)
    return {"items": page.items, "next": page.next_cursor}


@router.get(
    "/customers/lookup", response=list[CustomerOut], summary="Find by name, email, phone, domain or IP"
)
def lookup_customers(request, q: str):
    return list(services.find_customers(q[:200]))


@router.post("/customers", response={201: CustomerOut})
def create_customer(request, payload: CustomerIn):
    return Status(201, services.create_customer(**payload.dict(), **_actor(request)))


@router.get("/customers/{customer_id}", response=CustomerOut)
def get_customer(request, customer_id: Id):
    return get_or_404(Customer.objects, pk=customer_id)


@router.patch("/customers/{customer_id}", response=CustomerOut)
def update_customer(request, customer_id: Id, payload: CustomerPatch):
    customer = get_or_404(Customer.objects, pk=customer_id)
    return services.update_customer(customer, **payload.dict(exclude_unset=True), **_actor(request))


@router.get("/customers/{customer_id}/people", response=list[MembershipOut])
def list_people(request, customer_id: Id):
    customer = get_or_404(Customer.objects, pk=customer_id)
    return list(Membership.objects.filter(customer=customer).select_related("person").order_by("pk"))


@router.post("/customers/{customer_id}/people", response={201: PersonOut})
def add_person(request, customer_id: Id, payload: PersonIn):
    customer = get_or_404(Customer.objects, pk=customer_id)
    return Status(201, services.add_person(customer, name=payload.name, role=payload.role, **_actor(request)))


@router.get(
    "/customers/{customer_id}/contacts", response=list[ContactOut], summary="The account's own contacts"
)
def list_account_contacts(request, customer_id: Id):
    customer = get_or_404(Customer.objects, pk=customer_id)
    return list(ContactPoint.objects.filter(customer=customer).order_by("pk"))


@router.post("/customers/{customer_id}/contacts", response={201: ContactOut})
def add_account_contact(request, customer_id: Id, payload: ContactIn):
    customer = get_or_404(Customer.objects, pk=customer_id)
    return Status(
        201,
        services.add_contact_point(
            customer=customer, ask_to_verify=True, **payload.dict(), **_actor(request)
        ),
    )


@router.get("/people/{person_id}/contacts", response=list[ContactOut])
def list_person_contacts(request, person_id: Id):
    person = get_or_404(Person.objects, pk=person_id)
    return list(person.contacts.order_by("pk"))


@router.post("/people/{person_id}/contacts", response={201: ContactOut})
def add_person_contact(request, person_id: Id, payload: ContactIn):
    person = get_or_404(Person.objects, pk=person_id)
    return Status(
        201,
        services.add_contact_point(person=person, ask_to_verify=True, **payload.dict(), **_actor(request)),
    )


@router.get("/customers/{customer_id}/units", response=list[UnitOut])
def list_units(request, customer_id: Id):
    customer = get_or_404(Customer.objects, pk=customer_id)
    return list(customer.units.order_by("pk"))


@router.post("/customers/{customer_id}/units", response={201: UnitOut})
def add_unit(request, customer_id: Id, payload: UnitIn):
    customer = get_or_404(Customer.objects, pk=customer_id)
    data = payload.dict()
    parent_id = data.pop("parent_id")
    parent = get_or_404(ServiceUnit.objects, pk=parent_id) if parent_id else None
    return Status(201, services.add_unit(customer, parent=parent, **data, **_actor(request)))


class ContactPatch(In):
    value: str | None = Field(
        None, min_length=1, max_length=255, description="The right address or number: this one is retired"
    )
    label: str | None = Field(None, max_length=40)


class AccountLinkIn(In):
    customer_id: int = Field(ge=1, le=2**62, description="The account the person acts for too")
    role: str = "delegate"


class RoleIn(In):
    role: str


@router.get("/contacts/{contact_id}", response=ContactOut)
def get_contact(request, contact_id: Id):
    return get_or_404(ContactPoint.objects, pk=contact_id)


@router.patch(
    "/contacts/{contact_id}",
    response=ContactOut,
    summary="Correct a contact point (a new one replaces it, asked to confirm) or relabel it",
)
def change_contact(request, contact_id: Id, payload: ContactPatch):
    point = get_or_404(ContactPoint.objects, pk=contact_id)
    if payload.label is not None:
        point = services.relabel_contact_point(point, label=payload.label, **_actor(request))
    if payload.value is not None:
        point = services.correct_contact_point(point, value=payload.value, **_actor(request))
    return point


@router.post("/contacts/{contact_id}/retire", response=ContactOut, summary="Nothing is sent to it again")
def retire_contact(request, contact_id: Id):
    point = get_or_404(ContactPoint.objects, pk=contact_id)
    return services.retire_contact_point(point, **_actor(request))


@router.post("/people/{person_id}/accounts", response={201: MembershipOut}, summary="Act for another account")
def link_person(request, person_id: Id, payload: AccountLinkIn):
    person = get_or_404(Person.objects, pk=person_id)
    customer = get_or_404(Customer.objects, pk=payload.customer_id)
    return Status(201, services.link_person(person, customer, role=payload.role, **_actor(request)))


@router.patch("/customers/{customer_id}/people/{person_id}", response=MembershipOut)
def set_role(request, customer_id: Id, person_id: Id, payload: RoleIn):
    customer = get_or_404(Customer.objects, pk=customer_id)
    person = get_or_404(Person.objects, pk=person_id)
    return services.set_role(person, customer, role=payload.role, **_actor(request))


@router.delete("/customers/{customer_id}/people/{person_id}", response={204: None})
def unlink_person(request, customer_id: Id, person_id: Id):
    customer = get_or_404(Customer.objects, pk=customer_id)
    person = get_or_404(Person.objects, pk=person_id)
    services.unlink_person(person, customer, **_actor(request))
    return Status(204, None)


class UnitPatch(In):
    state: str | None = Field(None, description="ok, degraded, down, suspended...")
    reason: str = Field("", max_length=500, description="Why the state changed (shown in its history)")
    end_users: int | None = Field(None, ge=0, le=2**31 - 1, description="People or sites that depend on it")


@router.patch("/units/{unit_id}", response=UnitOut, summary="Set a unit's state or its end-user count")
def change_unit(request, unit_id: Id, payload: UnitPatch):
    unit = get_or_404(ServiceUnit.objects.select_related("customer"), pk=unit_id)
    if payload.end_users is not None:
        services.set_end_users(unit, payload.end_users, **_actor(request))
    if payload.state is not None:
        services.set_unit_state(
            unit, payload.state, reason=payload.reason or "set through the API", **_actor(request)
        )
    return unit
