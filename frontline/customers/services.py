"""Every change to customers, people, contact points and service units goes through here."""

import datetime
import ipaddress
import re
import secrets
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import Q, QuerySet

from frontline.core import clock
from frontline.core.errors import ServiceError, require_choice
from frontline.customers import events, signals
from frontline.customers.models import (
    ContactKind,
    ContactPoint,
    ContactState,
    Customer,
    Membership,
    MembershipRole,
    Person,
    Plan,
    ServiceUnit,
    Standing,
    Tier,
    UnitKind,
    UnitState,
)
from frontline.customers.queries import working_channel_flags

_validate_email = EmailValidator()
_validate_url = URLValidator(schemes=["https"])


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ServiceError(f"monthly_value must be a number; got {value!r}", field="monthly_value") from exc
    if amount < 0 or not amount.is_finite():
        raise ServiceError("monthly_value cannot be negative", field="monthly_value")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def create_customer(
    *,
    name: str,
    plan: str = Plan.STARTER,
    tier: str = Tier.STANDARD,
    customer_since: datetime.date | None = None,
    monthly_value=0,
    notes: str = "",
    standing: str = Standing.CUSTOMER,
    by=None,
    via: str = "",
) -> Customer:
    name = name.strip()
    if not name:
        raise ServiceError("name is required", field="name")
    customer = Customer.objects.create(
        name=name,
        standing=require_choice(standing, Standing, "standing"),
        plan=require_choice(plan, Plan, "plan"),
        tier=require_choice(tier, Tier, "tier"),
        customer_since=customer_since or clock.now().date(),
        monthly_value=_money(monthly_value),
        notes=notes,
        created_at=clock.now(),
    )
    events.customer_created(customer=customer, by=by, via=via)
    return customer


UPDATABLE_CUSTOMER_FIELDS = ("name", "plan", "tier", "monthly_value", "notes")


@transaction.atomic
def update_customer(customer: Customer, *, by=None, via: str = "", **changes) -> Customer:
    unknown = set(changes) - set(UPDATABLE_CUSTOMER_FIELDS)
    if unknown:
        raise ServiceError(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    for field, value in changes.items():
        if value is None:  # "notes": null means nothing here; an empty string clears a text
            raise ServiceError(f"{field} cannot be null; leave it out to keep it", field=field)
    if "plan" in changes:
        require_choice(changes["plan"], Plan, "plan")
    if "tier" in changes:
        require_choice(changes["tier"], Tier, "tier")
    if "monthly_value" in changes:
        changes["monthly_value"] = _money(changes["monthly_value"])
    if "name" in changes and not str(changes["name"]).strip():
        raise ServiceError("name cannot be empty", field="name")
    before = {field: str(getattr(customer, field)) for field in changes}
    for field, value in changes.items():
        setattr(customer, field, value)
    customer.save(update_fields=list(changes))
    after = {field: str(getattr(customer, field)) for field in changes}
    events.customer_updated(customer=customer, before=before, after=after, by=by, via=via)
    return customer


@transaction.atomic
def add_person(
    customer: Customer, *, name: str, role: str = MembershipRole.OWNER, by=None, via: str = ""
) -> Person:
    if not name.strip():
        raise ServiceError("name is required", field="name")
    require_choice(role, MembershipRole, "role")
    person = Person.objects.create(name=name.strip(), created_at=clock.now())
    Membership.objects.create(person=person, customer=customer, role=role)
    events.person_added(customer=customer, person=person, role=role, by=by, via=via)
    return person


@transaction.atomic
def link_person(person: Person, customer: Customer, *, role: str, by=None, via: str = "") -> Membership:
    require_choice(role, MembershipRole, "role")
    membership, created = Membership.objects.get_or_create(
        person=person, customer=customer, defaults={"role": role}
    )
    if not created:
        raise ServiceError(f"{person} already acts for {customer}", field="customer")
    events.person_linked(customer=customer, person=person, role=role, by=by, via=via)
    return membership


def normalize_contact(kind: str, value: str) -> str:
    """The form intake and lookup match on; raises ServiceError for a value that cannot be that kind."""
    value = value.strip()
    if kind == ContactKind.EMAIL:
        try:
            _validate_email(value)
        except ValidationError as exc:
            raise ServiceError(f"{value!r} is not an email address", field="value") from exc
        return value.lower()
    if kind == ContactKind.PHONE:
        digits = re.sub(r"\D", "", value)
        if not 6 <= len(digits) <= 15:
            raise ServiceError(f"{value!r} is not a phone number (6 to 15 digits)", field="value")
        return "+" + digits
    if kind == ContactKind.WEBHOOK:
        try:
            _validate_url(value)
        except ValidationError as exc:
            raise ServiceError(f"{value!r} is not an https URL", field="value") from exc
        return value
    if not value:
        raise ServiceError("value is required", field="value")
    return value.lower()


@transaction.atomic
def add_contact_point(
    *,
    kind: str,
    value: str,
    person: Person | None = None,
    customer: Customer | None = None,
    label: str = "",
    ask_to_verify: bool = False,
    by=None,
    acting_person: Person | None = None,
    via: str = "",
) -> ContactPoint:
    """Add an address or number. `ask_to_verify` (people and integrations adding one) sends its owner a
    confirm link or code once the point is committed."""
    require_choice(kind, ContactKind, "kind")
    if (person is None) == (customer is None):
        raise ServiceError("a contact point belongs to exactly one person or one account", field="person")
    point = ContactPoint.objects.create(
        person=person,
        customer=customer,
        kind=kind,
        value=value.strip(),
        normalized=normalize_contact(kind, value),
        label=label,
        signing_secret=secrets.token_urlsafe(32) if kind == ContactKind.WEBHOOK else "",
    )
    events.contact_added(customer=owner_account(point), point=point, by=by, person=acting_person, via=via)
    if ask_to_verify:
        signals.verification_wanted.send(sender=ContactPoint, point=point)
    return point


def owner_account(point: ContactPoint) -> Customer | None:
    """The account a contact point speaks for: its own, or its person's first."""
    if point.customer_id:
        return point.customer
    return point.person.accounts.order_by("pk").first()


@transaction.atomic
def verify_contact_point(point: ContactPoint, *, by=None, via: str = "") -> ContactPoint:
    point.state = ContactState.VERIFIED
    point.verified_at = clock.now()
    point.save(update_fields=["state", "verified_at"])
    signals.contact_settled.send(
        sender=ContactPoint, point=point, outcome="verified: it reaches its owner", by=by
    )
    events.contact_verified(customer=owner_account(point), point=point, by=by, via=via)
    return point


@transaction.atomic
def retire_contact_point(
    point: ContactPoint, *, by=None, acting_person: Person | None = None, via: str = "", replaced_by=None
) -> ContactPoint:
    """Its owner says it no longer reaches them: nothing is sent to it again. The point stays, with its
    delivery history, because the evidence log names it."""
    if point.state == ContactState.RETIRED:
        return point
    point.state = ContactState.RETIRED
    point.save(update_fields=["state"])
    outcome = f"replaced by {replaced_by.value}" if replaced_by else "retired: it no longer reaches its owner"
    signals.contact_settled.send(sender=ContactPoint, point=point, outcome=outcome, by=by)
    events.contact_retired(
        customer=owner_account(point),
        point=point,
        by=by,
        person=acting_person,
        via=via,
        replaced_by=replaced_by,
    )
    return point


@transaction.atomic
def correct_contact_point(
    point: ContactPoint, *, value: str, by=None, acting_person: Person | None = None, via: str = ""
) -> ContactPoint:
    """A wrong address or number corrected: a new point in its place (asked to verify), the old one retired,
    so each delivery in the evidence log keeps the address it really went to."""
    if point.state == ContactState.RETIRED:
        raise ServiceError("this contact point is retired; add a new one", field="value")
    if normalize_contact(point.kind, value) == point.normalized:
        raise ServiceError("that is the address we already have", field="value")
    new = add_contact_point(
        kind=point.kind,
        value=value,
        person=point.person,
        customer=point.customer,
        label=point.label,
        ask_to_verify=True,
        by=by,
        acting_person=acting_person,
        via=via,
    )
    retire_contact_point(point, by=by, acting_person=acting_person, via=via, replaced_by=new)
    return new


@transaction.atomic
def mark_contact_failing(point: ContactPoint, *, reason: str, by=None, via: str = "") -> ContactPoint:
    """A permanent delivery failure: the provider's to fix, recorded with its evidence."""
    point.state = ContactState.FAILING
    point.last_failure_at = clock.now()
    point.failure_reason = reason
    point.save(update_fields=["state", "last_failure_at", "failure_reason"])
    events.contact_failing(customer=owner_account(point), point=point, reason=reason, by=by, via=via)
    return point


@transaction.atomic
def add_unit(
    customer: Customer,
    *,
    kind: str,
    name: str,
    parent: ServiceUnit | None = None,
    hostname: str = "",
    ip_address: str | None = None,
    labels: dict | None = None,
    end_users: int = 0,
    by=None,
    via: str = "",
) -> ServiceUnit:
    require_choice(kind, UnitKind, "kind")
    if end_users < 0:
        raise ServiceError("end_users cannot be negative", field="end_users")
    if not name.strip():
        raise ServiceError("name is required", field="name")
    if parent is not None and parent.customer_id != customer.pk:
        raise ServiceError("the parent unit belongs to another customer", field="parent")
    if ip_address:
        try:
            ipaddress.ip_address(ip_address)
        except ValueError as exc:
            raise ServiceError(f"{ip_address!r} is not an IP address", field="ip_address") from exc
    unit = ServiceUnit.objects.create(
        customer=customer,
        parent=parent,
        kind=kind,
        name=name.strip(),
        hostname=hostname,
        ip_address=ip_address or None,
        labels=labels or {},
        end_users=end_users,
        state=UnitState.OK,
    )
    events.unit_added(unit=unit, by=by, via=via)
    return unit


@transaction.atomic
def set_unit_state(
    unit: ServiceUnit, state: str, *, reason: str, by=None, actor_label: str = "", via: str = ""
):
    require_choice(state, UnitState, "state")
    if unit.state == state:
        return unit
    previous = unit.state
    unit.state = state
    unit.state_changed_at = clock.now()
    unit.save(update_fields=["state", "state_changed_at"])
    events.unit_state_changed(
        unit=unit, previous=previous, reason=reason, by=by, actor_label=actor_label, via=via
    )
    return unit


def has_working_channel(customer: Customer) -> bool:
    """False when every address and number we hold for the account and its people is failing."""

    return working_channel_flags([customer.pk])[customer.pk]


def find_customers(query: str, *, limit: int = 25) -> QuerySet[Customer]:
    """Look a caller up by what they say first: a name, an email, a phone number, a domain or an IP."""
    query = query.strip()
    if not query:
        return Customer.objects.none()
    try:
        ip = ipaddress.ip_address(query)
    except ValueError:
        ip = None
    if ip is not None:
        match = Q(units__ip_address=str(ip))
    elif "@" in query:
        match = Q(contacts__normalized=query.lower()) | Q(people__contacts__normalized=query.lower())
    elif re.fullmatch(r"[\d\s()+.-]{6,}", query):
        digits = "+" + re.sub(r"\D", "", query)
        match = Q(contacts__normalized=digits) | Q(people__contacts__normalized=digits)
    elif "." in query and " " not in query:
        domain = query.lower()
        match = (
            Q(units__name=domain)
            | Q(units__hostname=domain)
            | Q(contacts__normalized__endswith="@" + domain)
            | Q(people__contacts__normalized__endswith="@" + domain)
        )
    else:
        match = Q(name__icontains=query) | Q(people__name__icontains=query)
    ids = Customer.objects.filter(match).values("pk").distinct()[:limit]
    return Customer.objects.filter(pk__in=list(ids.values_list("pk", flat=True))).order_by("name")


@transaction.atomic
def match_sender(
    sender: Customer, *, into: Customer, person: Person | None = None, by, via: str = "web"
) -> Person:
    """An unmatched sender belongs to `into`: their addresses go to `person` (one of its people we already
    know), or they join it as a person of their own. The sender's record stays, marked matched, for the
    events that name it. Returns the person their addresses belong to now. (Their cases are the cases
    app's: intake/matching.py moves them.)"""
    if sender.standing != Standing.UNMATCHED:
        raise ServiceError(f"{sender} is not an unmatched sender", field="customer")
    if into.standing != Standing.CUSTOMER:
        raise ServiceError(f"{into} is not a customer account", field="into")
    if person is not None and not Membership.objects.filter(person=person, customer=into).exists():
        raise ServiceError(f"{person} does not act for {into}", field="person")
    theirs = list(Person.objects.filter(memberships__customer=sender).order_by("pk"))
    if person is None:
        person = theirs[0] if theirs else add_person(into, name=sender.name, by=by, via=via)
        if theirs:
            link_person(person, into, role=MembershipRole.TECHNICAL, by=by, via=via)
    for old in theirs:
        if old.pk != person.pk:
            ContactPoint.objects.filter(person=old).update(person=person)
    ContactPoint.objects.filter(customer=sender).update(customer=into)
    Customer.objects.filter(pk=sender.pk).update(standing=Standing.MATCHED, matched_into=into)
    sender.standing, sender.matched_into = Standing.MATCHED, into
    events.sender_matched(customer=sender, into=into, person=person, by=by, via=via)
    return person


@transaction.atomic
def relabel_contact_point(point: ContactPoint, *, label: str, by=None, via: str = "") -> ContactPoint:
    """What the point is to its owner ("mobile", "office", "ops mailbox"): words only, the address stays."""
    label = label.strip()[:40]
    if label != point.label:
        before, point.label = point.label, label
        point.save(update_fields=["label"])
        events.contact_relabelled(customer=owner_account(point), point=point, before=before, by=by, via=via)
    return point


@transaction.atomic
def set_role(person: Person, customer: Customer, *, role: str, by=None, via: str = "") -> Membership:
    """What the person is to the account: owner, technical or billing contact, or acting on its behalf."""
    require_choice(role, MembershipRole, "role")
    membership = Membership.objects.filter(person=person, customer=customer).first()
    if membership is None:
        raise ServiceError(f"{person} does not act for {customer}", field="person")
    if membership.role != role:
        before, membership.role = membership.role, role
        membership.save(update_fields=["role"])
        events.person_role_changed(customer=customer, person=person, before=before, role=role, by=by, via=via)
    return membership


@transaction.atomic
def unlink_person(person: Person, customer: Customer, *, by=None, via: str = "") -> None:
    """The person no longer acts for the account. They keep their other accounts, and their contact points
    (the evidence log names them); an account's last person stays, so someone is always there to tell."""
    membership = Membership.objects.filter(person=person, customer=customer).first()
    if membership is None:
        raise ServiceError(f"{person} does not act for {customer}", field="person")
    if not Membership.objects.filter(customer=customer).exclude(pk=membership.pk).exists():
        raise ServiceError(f"{person} is the only person of {customer}: add another first", field="person")
    membership.delete()
    events.person_unlinked(customer=customer, person=person, role=membership.role, by=by, via=via)


@transaction.atomic
def set_end_users(unit: ServiceUnit, end_users: int, *, by=None, via: str = "") -> ServiceUnit:
    """How many people or sites depend on the unit: the reach of a problem with it (priority's reach)."""
    if not 0 <= end_users <= 2**31 - 1:
        raise ServiceError("end_users is a count of people or sites", field="end_users")
    if unit.end_users != end_users:
        previous, unit.end_users = unit.end_users, end_users
        unit.save(update_fields=["end_users"])
        events.unit_reach_changed(unit=unit, previous=previous, by=by, via=via)
    return unit
