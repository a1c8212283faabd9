"""How policy puts its decisions into words: the cleanup case's subject and body, the notice's title and
body, the reasons shown beside a decision."""

from datetime import timedelta

from frontline.agents.models import Skill
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


def notice_title(told: list[Decision]) -> str:
    units = ", ".join(d.unit.name for d in told[:3]) + ("..." if len(told) > 3 else "")
    if any(d.emergency for d in told):
        return f"We have contained {units} because it is attacking others"[:200]
    first = told[0]
    if not first.disruptive:
        return f"About {units}: {first.event.get_trigger_display().lower()}"[:200]
    return f"{ActionKind(first.action).label} {units} on {first.due_at:%d %b %H:%M} UTC unless resolved"[:200]


def notice_body(told: list[Decision]) -> str:
    event = told[0].event
    lines = [f"We received a {event.get_trigger_display().lower()} ({facts_words(event)})."]
    for d in told:
        if d.emergency:
            lines.append(f"{d.unit.name}: contained now. {d.why}")
        elif d.disruptive:
            lines.append(
                f"{d.unit.name}: {ActionKind(d.action).label.lower()} at {d.due_at:%Y-%m-%d %H:%M} UTC."
            )
        else:
            lines.append(f"{d.unit.name}: nothing is switched off.")
    untouched = {d.unit.parent for d in told if d.unit.parent is not None}
    for parent in untouched:
        lines.append(f"Only the units named are affected; the rest of {parent.name} keeps serving.")
    lines.append(lift_words(event.trigger))
    return "\n".join(lines)


def span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 1440 == 0 and minutes:
        return plural(minutes // 1440, "day")
    if minutes % 60 == 0 and minutes:
        return plural(minutes // 60, "hour")
    return plural(minutes, "minute")
