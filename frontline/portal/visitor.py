"""Who is using the portal, kept in the session apart from staff sign-in.

A visitor is either **signed in** (by a one-time link mailed to an address we hold: every account its
person acts for, one of them current) or **let in for one thing** by a link we sent (a notice, a reply on a
case, a "does it work now?" ask): that account, and only the things the link was about. Every portal query
starts from `visitor.account_id`; everything a page names by id is checked with `visitor.may(kind, id)`.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from frontline.core import clock
from frontline.customers.models import ContactPoint, Membership

SESSION_KEY = "frontline_portal"
SIGNED_IN_FOR = timedelta(hours=8)
LET_IN_FOR = timedelta(hours=24)


@dataclass
class Visitor:
    account_ids: list[int]
    account_id: int
    person_id: int | None = None
    # Empty when signed in; else (kind, id) pairs the links opened: ("case", 12), ("notification", 40).
    grants: list[list] = field(default_factory=list)
    until: float = 0.0

    @property
    def signed_in(self) -> bool:
        return not self.grants

    def may(self, kind: str, pk: int) -> bool:
        """Whether this visitor may see one thing of the current account (the caller checked the account)."""
        return self.signed_in or [kind, pk] in self.grants

    def may_kind(self, kind: str) -> bool:
        return self.signed_in or any(granted == kind for granted, _ in self.grants)


def current(request) -> Visitor | None:
    data = request.session.get(SESSION_KEY)
    if not data:
        return None
    try:
        visitor = Visitor(**data)
    except TypeError:
        return None
    if visitor.until < clock.now().timestamp():
        request.session.pop(SESSION_KEY, None)
        return None
    return visitor


def _save(request, visitor: Visitor) -> None:
    request.session[SESSION_KEY] = visitor.__dict__


def accounts_of(point: ContactPoint) -> list[int]:
    if point.person_id:
        return sorted(
            Membership.objects.filter(person_id=point.person_id).values_list("customer_id", flat=True)
        )
    return [point.customer_id]


def sign_in(request, point: ContactPoint) -> Visitor:
    accounts = accounts_of(point)
    request.session.cycle_key()  # a new session id at sign-in: a planted one learns nothing
    visitor = Visitor(
        account_ids=accounts,
        account_id=accounts[0],
        person_id=point.person_id,
        until=(clock.now() + SIGNED_IN_FOR).timestamp(),
    )
    _save(request, visitor)
    return visitor


def let_in(
    request, *, account_id: int, grants: list[tuple[str, int]], person_id: int | None = None
) -> Visitor:
    """A link we sent opens its things. A visitor already signed in for that account keeps their sign-in;
    links of one account add up; a link of another account starts afresh."""
    visitor = current(request)
    if visitor and visitor.signed_in and account_id in visitor.account_ids:
        visitor.account_id = account_id
    elif visitor and not visitor.signed_in and visitor.account_id == account_id:
        visitor.grants += [[kind, pk] for kind, pk in grants if [kind, pk] not in visitor.grants]
        visitor.until = (clock.now() + LET_IN_FOR).timestamp()
    else:
        visitor = Visitor(
            account_ids=[account_id],
            account_id=account_id,
            person_id=person_id,
            grants=[[kind, pk] for kind, pk in grants],
            until=(clock.now() + LET_IN_FOR).timestamp(),
        )
    _save(request, visitor)
    return visitor


def switch(request, visitor: Visitor, account_id: int) -> bool:
    if account_id not in visitor.account_ids:
        return False
    visitor.account_id = account_id
    _save(request, visitor)
    return True


def sign_out(request) -> None:
    request.session.pop(SESSION_KEY, None)
