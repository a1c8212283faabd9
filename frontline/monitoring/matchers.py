"""Matchers: from an alert's labels to the units and components it is about.

A matcher names one label and how its value is looked up. They are tried in order; the first that finds
something decides. A matcher that could never find anything (no unit has that label, no component exists)
is refused when it is saved, with the reason: a silent matcher is how alerts get lost.
"""

import ipaddress
import re

from django.db import transaction
from django.db.models.fields.json import KeyTextTransform

from frontline.agents.models import Skill
from frontline.core import clock
from frontline.core.errors import ServiceError, require_choice
from frontline.customers.models import ServiceUnit
from frontline.monitoring import events
from frontline.monitoring.models import Component, Health, LooksUp, Matcher

LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # Prometheus's own rule for label names


def _bare(value: str) -> str:
    """ "web-07:9100" -> "web-07"; "[2001:db8::1]:9100" -> "2001:db8::1": exporters add the port."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        return value[1 : value.index("]")]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def find(looks_up: str, label: str, value: str) -> tuple[list[ServiceUnit], list[Component]]:
    """What one label's value names, as one matcher looks it up."""
    if not value:
        return [], []
    if looks_up == LooksUp.COMPONENT:
        return [], list(Component.objects.filter(name__in={value.strip(), _bare(value)}))
    if looks_up == LooksUp.UNIT_NAME:
        units = ServiceUnit.objects.filter(name=value.strip())
    elif looks_up == LooksUp.UNIT_HOSTNAME:
        units = ServiceUnit.objects.filter(hostname__in={value.strip(), _bare(value)})
    elif looks_up == LooksUp.UNIT_IP:
        try:
            address = str(ipaddress.ip_address(_bare(value)))
        except ValueError:
            return [], []
        units = ServiceUnit.objects.filter(ip_address=address)
    else:  # the label's own name as the key, never read as a lookup ("contains" is a fine label name)
        units = ServiceUnit.objects.alias(wanted=KeyTextTransform(label, "labels")).filter(wanted=value)
    return list(units.select_related("customer")[:1000]), []


def resolve(labels: dict, matchers: list[Matcher]) -> tuple[Matcher | None, list, list]:
    """The first active matcher whose label the alert carries and whose lookup finds something."""
    name = labels.get("alertname", "")
    for matcher in matchers:
        if not matcher.is_active or (matcher.alertname and matcher.alertname != name):
            continue
        value = labels.get(matcher.label)
        if not isinstance(value, str):
            continue
        units, components = find(matcher.looks_up, matcher.label, value)
        if units or components:
            return matcher, units, components
    return None, [], []


def _could_match(label: str, looks_up: str) -> str:
    """Why a matcher could never find anything today, or "" when it could."""
    if looks_up == LooksUp.COMPONENT:
        return "" if Component.objects.exists() else "there are no components to look up yet"
    if looks_up == LooksUp.UNIT_IP:
        return "" if ServiceUnit.objects.exclude(ip_address=None).exists() else "no unit has an IP address"
    if looks_up == LooksUp.UNIT_HOSTNAME:
        return "" if ServiceUnit.objects.exclude(hostname="").exists() else "no unit has a hostname"
    if looks_up == LooksUp.UNIT_LABEL:
        if not ServiceUnit.objects.filter(labels__has_key=label).exists():
            return f"no unit has a label {label!r}: add it to the units first, or look the value up otherwise"
        return ""
    return "" if ServiceUnit.objects.exists() else "there are no units to look up yet"


@transaction.atomic
def save_matcher(
    matcher: Matcher | None = None,
    *,
    label: str,
    looks_up: str,
    alertname: str = "",
    health: str = Health.DOWN,
    position: int = 100,
    is_active: bool = True,
    topic: str = "",
    by,
    via: str = "web",
) -> Matcher:
    label, alertname = (label or "").strip(), (alertname or "").strip()
    if not LABEL_NAME.match(label):
        raise ServiceError(
            f"{label!r} is not a label name (letters, digits and _; not starting with a digit)", field="label"
        )
    require_choice(looks_up, LooksUp, "looks_up")
    require_choice(health, Health, "health")
    if health == Health.OK:
        raise ServiceError("a firing alert cannot mean OK: choose down or degraded", field="health")
    if not 0 <= position <= 100_000:
        raise ServiceError("position is between 0 and 100000", field="position")
    skill = None
    if topic:
        skill = Skill.objects.filter(slug=topic).first()
        if skill is None:
            raise ServiceError(f"no skill {topic!r}", field="topic")
    why_not = _could_match(label, looks_up)
    if why_not:
        raise ServiceError(f"this matcher cannot match anything: {why_not}", field="looks_up")
    now = clock.now()
    created = matcher is None
    matcher = matcher or Matcher(created_at=now)
    matcher.label, matcher.looks_up, matcher.alertname = label, looks_up, alertname
    matcher.health, matcher.position, matcher.is_active, matcher.updated_at = health, position, is_active, now
    matcher.topic = skill
    matcher.save()
    events.matcher_saved(matcher=matcher, created=created, by=by, via=via)
    return matcher
