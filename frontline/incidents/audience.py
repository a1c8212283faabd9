"""Who to tell about something that reaches many accounts: one notice per account, and one per person
acting for several of them (naming the accounts), never one copy per account to the same person."""

from collections import defaultdict

from frontline.customers.models import ContactPoint, Customer, Membership
from frontline.notifications.services import Recipient


def recipients(customer_ids: list[int]) -> list[Recipient]:
    wanted = set(customer_ids)
    accounts_of: dict[int, list[int]] = defaultdict(list)
    people_of: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(customer_ids), 5000):
        chunk = customer_ids[start : start + 5000]
        for person_id, customer_id in Membership.objects.filter(customer_id__in=chunk).values_list(
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
    made = []
    for customer_id in sorted(wanted):
        people = people_of.get(customer_id, set())
        skip = tuple(sorted(p for p in people if p in several))
        if people and len(skip) == len(people) and not _has_own_points(customer_id):
            continue  # everyone who acts for it is told in their own notice
        made.append(Recipient(customer_id, skip_people=skip))
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


def _has_own_points(customer_id: int) -> bool:
    return ContactPoint.objects.filter(customer_id=customer_id).exists()
