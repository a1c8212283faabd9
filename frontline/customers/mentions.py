"""Which of a customer's service units a text names, as customers write them: a domain or site
("www.walkerblog.example" names walkerblog.example), a mailbox, a line id, an IP address, a server's or
host's own name. Cases that arrive by mail or chat get their units this way, so the repeat rule and the
reach of a problem work for them as for cases opened with units."""

import ipaddress
import re

from frontline.core import rows
from frontline.customers.models import ServiceUnit, UnitKind

# Words that could be a unit's name: letters and digits joined by dots, dashes, @ or colons.
_TOKEN = re.compile(r"[\w][\w.@:-]*[\w]")
# A unit's `hostname` is its own name only for these; a site's is the shared server it runs on, and
# "web-07 is slow" must not attach every site on web-07 to the case.
_OWN_HOSTNAME = (UnitKind.SERVER.value, UnitKind.HOST.value, UnitKind.LINE.value)
MOST_TOKENS = 300
MOST_UNITS = 20  # a message listing more is a list, not a problem report: the first twenty


def _names_in(text: str) -> tuple[set[str], list[str]]:
    """Lower-cased candidate names, and the IP addresses, in the text."""
    names: set[str] = set()
    addresses: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        if len(names) >= MOST_TOKENS:
            break
        if len(token) < 3 or token.isalpha():  # most words: quickly known to name nothing
            continue
        if not any(c in token for c in ".-@:") and not any(c.isdigit() for c in token):
            continue  # a plain word ("site", "down", "log_in") names nothing
        try:
            addresses.append(str(ipaddress.ip_address(token)))
            continue
        except ValueError:
            pass
        names.add(token)
        if "@" in token:
            names.add(token.rsplit("@", 1)[1])  # a mailbox names its domain too
        names.update(with_parents(token))  # www.shop.example names shop.example
    return names, addresses[:MOST_TOKENS]


def with_parents(domain: str) -> list[str]:
    """The domain and each domain above it short of the top level: www.shop.example, shop.example."""
    labels = domain.split(".")
    return [".".join(labels[start:]) for start in range(len(labels) - 1)]


def named_units(customer_id: int, text: str) -> list[ServiceUnit]:
    """The customer's units the text names, in name order: one query, none when the text holds nothing
    that could be a name. (Plain SQL: every message intake reads asks it, and the ORM's query building
    cost more than the search.)"""
    found_names, addresses = _names_in(text)
    if not found_names and not addresses:
        return []
    names = sorted(found_names)
    tests, params = [], [customer_id]
    if names:
        marks = ", ".join(["%s"] * len(names))
        kinds = ", ".join(["%s"] * len(_OWN_HOSTNAME))
        tests += [f"LOWER(name) IN ({marks})", f"(LOWER(hostname) IN ({marks}) AND kind IN ({kinds}))"]
        params += [*names, *names, *_OWN_HOSTNAME]
    if addresses:
        tests.append(f"ip_address IN ({', '.join(['%s'] * len(addresses))})")
        params += addresses
    found = rows.fetch_all(f"{_UNITS} AND ({' OR '.join(tests)})", params)
    units = [
        ServiceUnit(pk=pk, name=name, end_users=users, customer_id=customer_id) for pk, name, users in found
    ]
    return sorted(units, key=lambda unit: (unit.name, unit.pk))[:MOST_UNITS]


_UNITS = "SELECT id, name, end_users FROM customers_serviceunit WHERE customer_id = %s"
