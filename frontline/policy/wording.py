"""How policy puts its decisions into words: the cleanup case's subject and body, the notice's title and
body, the reasons shown beside a decision."""

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from frontline.agents.models import Skill
from frontline.core.texts import render_message, render_paragraph
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
        f"{key.replace('_', ' ')} {facts[key]}"
        for key in ("category", "feedback_type", "metric", "reporter")
        if facts.get(key)
    ]
    return ", ".join(words) or event.get_trigger_display().lower()


def cleanup_topic(trigger: str) -> Skill | None:
    """The skill FRONTLINE_POLICY_TOPICS names for a trigger's cleanup, when this provider has it; None
    leaves the topic to the router, as for any case."""
    slugs = dict(item.split("=", 1) for item in settings.FRONTLINE_POLICY_TOPICS if "=" in item)
    slug = slugs.get(trigger, slugs.get("*", ""))
    return Skill.objects.filter(slug=slug.strip()).first() if slug else None


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _first_names(decisions: list[Decision]) -> str:
    """The units' names for a title: the first three, and "..." when there are more."""
    return ", ".join(d.unit.name for d in decisions[:3]) + ("..." if len(decisions) > 3 else "")


def cleanup_case(group: list[Decision]) -> tuple[str, str]:
    """(subject, body) of the case disruptive decisions open for staff (texts/policy/cleanup_case.txt)."""
    event = group[0].event
    kinds = {d.unit.get_kind_display().lower() for d in group}
    return render_message(
        "policy/cleanup_case",
        trigger=event.get_trigger_display(),
        trigger_value=event.trigger,
        what=plural(len(group), kinds.pop() if len(kinds) == 1 else "unit"),
        names=_first_names(group),
        facts=facts_words(event),
        decisions=[
            {
                "action": ActionKind(d.action).label,
                "unit": d.unit.name,
                "status": d.get_status_display().lower(),
                "why": d.why,
            }
            for d in group
        ],
    )


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
    decisions = [
        {
            "unit": _unit_words(d.unit),
            "verb": _VERBS.get(d.action, ActionKind(d.action).label.lower()),
            "due": f"{d.due_at:%Y-%m-%d %H:%M}" if d.due_at else "",
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
        title_units=_first_names(told),
        about=_ABOUT.get(event.trigger, event.get_trigger_display().lower()),
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


def why(
    decision: Decision, event: PolicyEvent, *, outcome: str, doubt: str = "", grace=None, now=None
) -> str:
    """A decision's reasons for staff, in one paragraph (texts/policy/why.txt). `outcome` is quiet (nothing
    switched off), emergency, held, or scheduled (after notice)."""
    unit, parent = decision.unit, decision.unit.parent
    return render_paragraph(
        "policy/why",
        unit=f"{unit.get_kind_display().lower()} {unit.name}",
        trigger=event.get_trigger_display().lower(),
        parent=f"{parent.get_kind_display().lower()} {parent.name}" if parent is not None else "",
        outcome=outcome,
        action=ActionKind(decision.action).label.lower(),
        facts=facts_words(event) if outcome == "emergency" else "",
        trusted=trusted_words(event) if outcome == "emergency" else "",
        doubt=doubt,
        told_at=f"{now:%Y-%m-%d %H:%M}" if now else "",
        due_at=f"{decision.due_at:%Y-%m-%d %H:%M}" if decision.due_at else "",
        grace=span(grace) if grace is not None else "",
    )
