"""Policy's panels on the case page (FRONTLINE_CASE_PANELS): the rules' decisions, and goodwill."""

from django.conf import settings

from frontline.agents.models import Capability
from frontline.cases.panels import MAIN, SIDE, Panel, panel
from frontline.policy import services
from frontline.policy.models import ActionKind, GoodwillKind, OverrideKind, PolicyRule


def decisions(request, case) -> Panel | None:
    """What each rule proposed on this case, what the engine did and why, and the override forms."""
    found = services.decisions_for_case(case)
    if not found:
        return None
    context = {
        "case": case,
        "decisions": found,
        "can_override": request.agent.can(Capability.OVERRIDE_RULES),
        "open_statuses": [s.value for s in services.OPEN_STATUSES],
        "overridable": [s.value for s in services.LIVE_STATUSES],
        "override_kinds": [(k, label) for k, label in OverrideKind.choices if k != OverrideKind.GOODWILL],
        "actions": ActionKind.choices,
    }
    return panel(request, "policy/_decisions.html", context, place=MAIN)


def goodwill(request, case) -> Panel:
    """Beyond the contract: a credit, an extension, a free restore, within the person's allowance."""
    context = {
        "case": case,
        "goodwill_kinds": GoodwillKind.choices,
        "goodwill_used": services.goodwill_used(request.agent),
        "free_restore_value": settings.FRONTLINE_FREE_RESTORE_VALUE,
        "all_rules": PolicyRule.objects.order_by("name"),
    }
    return panel(request, "policy/_goodwill.html", context, place=SIDE)
