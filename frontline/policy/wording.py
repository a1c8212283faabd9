"""How policy puts its decisions into words: the cleanup case's subject and body, the notice's title and
body, the reasons shown beside a decision."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from frontline.agents.models import Skill
from frontline.core.texts import render_message
from frontline.policy.guardrails import LIFTED_BY_CLEAN_SCAN
from frontline.policy.models import (
    ActionKind,
    Decision,
    PolicyEvent,
    Trigger,
)


def ref_words(ref: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in ref.items() if value) or "nothing"


def trusted_words(event: PolicyEvent) -> str:
    """Whose word the emergency rests on, for the decision's reasons."""
    if event.context.get("trusted_by"):
        return f"reported through {event.context['trusted_by']}, an integration trusted as a reporter"
    reporter = event.context["event"].get("reporter") or "the sender"
    return f"reported by {reporter}, a trusted reporter"


def facts_words(event: PolicyEvent) -> str:
    facts = event.context.get("event", {})
    words = [
        f"{key} {facts[key]}" for key in ("category", "feedback_type", "metric", "reporter") if facts.get(key)
    ]
    return ", ".join(words) or event.get_trigger_display().lower()


def abuse_topic(trigger: str):

    slug = "billing" if trigger == Trigger.PAYMENT_OVERDUE else "abuse-security"
    return Skill.objects.filter(slug=slug).first()


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def case_subject(group: list[Decision]) -> str:
    event = group[0].event
    kinds = {d.unit.get_kind_display().lower() for d in group}
    what = plural(len(group), kinds.pop() if len(kinds) == 1 else "unit")
    names = ", ".join(d.unit.name for d in group[:3]) + ("..." if len(group) > 3 else "")
    return f"{event.get_trigger_display()}: {what} to clean up ({names})"


def case_body(group: list[Decision]) -> str:
    lines = [
        f"{group[0].event.get_trigger_display()} ({facts_words(group[0].event)}). What the rules decided:"
    ]
    for d in group:
        lines.append(
            f"- {ActionKind(d.action).label} {d.unit.name}: {d.get_status_display().lower()}. {d.why}"
        )
    lines.append(lift_words(group[0].event.trigger))
    return "\n".join(lines)


def lift_words(trigger: str) -> str:
    if trigger == Trigger.PAYMENT_OVERDUE:
        return "What lifts it: the payment, recorded by billing; or a person restores it."
    if trigger in LIFTED_BY_CLEAN_SCAN:
        return (
            "What lifts it: clean the unit and ask for a re-scan; a clean re-scan lifts it at once. "
            "A person can also restore it."
        )
    return "What lifts it: the cause gone, then a person restores it."


# Plain verbs for what an action does to a unit, as a customer would say it.
_VERBS = {
    ActionKind.CONTAIN: _("isolate"),
    ActionKind.SUSPEND: _("switch off"),
    ActionKind.RATE_LIMIT: _("slow down"),
}
_ABOUT = {
    Trigger.ABUSE_REPORT: _("a report we received"),
    Trigger.MALWARE_SCAN: _("our malware scan"),
    Trigger.RESOURCE_ABUSE: _("heavy use"),
    Trigger.PAYMENT_OVERDUE: _("an overdue invoice"),
    Trigger.MONITORING_STATE: _("our monitoring"),
}


def _unit_words(unit) -> str:
    return f"{unit.get_kind_display().lower()} {unit.name}"


def notice(told: list[Decision]) -> tuple[str, str]:
    """(title, body) of the notice to the customer, from texts/policy/notice.txt."""
    event = told[0].event
    names = ", ".join(d.unit.name for d in told[:3]) + ("..." if len(told) > 3 else "")
    decisions = [
        {
            "unit": _unit_words(d.unit),
            "verb": _VERBS.get(d.action, ActionKind(d.action).label.lower()),
            "due": f"{d.due_at:%Y-%m-%d %H:%M}" if d.due_at else "",
            "about": _ABOUT.get(event.trigger, event.get_trigger_display().lower()),
            "emergency": d.emergency,
            "disruptive": d.disruptive,
        }
        for d in told
    ]
    parents = {d.unit.parent_id: _unit_words(d.unit.parent) for d in told if d.unit.parent is not None}
    title, body = render_message(
        "policy/notice",
        trigger=event.trigger,
        category=(event.context.get("event") or {}).get("category", ""),
        units=", ".join(_unit_words(d.unit) for d in told),
        title_units=names,
        emergency=any(d.emergency for d in told),
        first=decisions[0],
        decisions=decisions,
        parents=list(parents.values()),
    )
    return title[:200], body


def span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 1440 == 0 and minutes:
        return plural(minutes // 1440, "day")
    if minutes % 60 == 0 and minutes:
        return plural(minutes // 60, "hour")
    return plural(minutes, "minute")
