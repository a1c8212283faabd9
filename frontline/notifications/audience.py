"""Who to tell about something that reaches many accounts: one notice per account, and one per person
acting for several of them (naming the accounts), never one copy per account to the same person."""

from collections import defaultdict
from dataclasses import dataclass

from frontline.core.db import among, batched
from frontline.customers.models import ContactPoint, Customer, Membership


@dataclass(frozen=True)
class Recipient:
    """One notice of a fan-out: to an account (leaving out `skip_people`, who have their own), or to one
    person (`person_id`) acting for several of the accounts reached, `note` naming them."""

    customer_id: int
    person_id: int | None = None
    skip_people: tuple[int, ...] = ()
    note: str = ""


def recipients(customer_ids: list[int]) -> list[Recipient]:
    wanted = set(customer_ids)
    accounts_of: dict[int, list[int]] = defaultdict(list)
    people_of: dict[int, set[int]] = defaultdict(set)
    for chunk in batched(customer_ids, 5000):
        for person_id, customer_id in Membership.objects.filter(among("customer_id", chunk)).values_list(
            "person_id", "customer_id"
        ):
            accounts_of[person_id].append(customer_id)
            people_of[customer_id].add(person_id)
    several = {p: sorted(accounts) for p, accounts in accounts_of.items() if len(accounts) > 1}
    names = (
        dict(
            Customer.objects.filter(
                pk__in={c for accounts in several.values() for c in accounts}
            ).values_list("pk", "name")
        )
        if several
        else {}
    )
    # Accounts whose every person has a notice of their own: told through those, unless the account itself
    # has an address (a shared ops mailbox), which then gets the account's notice.
    covered = {c for c, people in people_of.items() if people and all(p in several for p in people)}
    own_points = set(
        ContactPoint.objects.filter(customer_id__in=covered).values_list("customer_id", flat=True)
    )
    made = []
    for customer_id in sorted(wanted):
        people = people_of.get(customer_id, set())
        if customer_id in covered and customer_id not in own_points:
            continue
        skip = [p for p in people if p in several] if several else []  # nobody, for nearly every account
        made.append(Recipient(customer_id, skip_people=tuple(sorted(skip))))
    for person_id, accounts in sorted(several.items()):
        listed = ", ".join(names[c] for c in accounts[:50]) + (
            f" and {len(accounts) - 50} more" if len(accounts) > 50 else ""
        )
        made.append(
            Recipient(
                accounts[0],
                person_id=person_id,
                note=f"This concerns {len(accounts)} accounts you act for: {listed}.",
            )
        )
    return made


def pack(recipient: Recipient) -> int | list:
    """A recipient as JSON, small: most are an account's notice and only its id (a million fit in 8 MB)."""
    if recipient.person_id is None and not recipient.skip_people and not recipient.note:
        return recipient.customer_id
    return [recipient.customer_id, recipient.person_id, list(recipient.skip_people), recipient.note]


def unpack(item: int | list) -> Recipient:
    if isinstance(item, int):
        return Recipient(item)
    customer_id, person_id, skip_people, note = item
    return Recipient(customer_id, person_id=person_id, skip_people=tuple(skip_people), note=note)
