"""The events the measures app writes: a person's word on a contact, the rules, baselines, improvements."""

from frontline.events.models import EVENT_KINDS
from frontline.events.services import record

CONTACT_CLASSIFIED = EVENT_KINDS.declare("measures.contact_corrected", "Contact's demand corrected")
DEMAND_RULE_CHANGED = EVENT_KINDS.declare("measures.rule_changed", "Demand rule written")
BASELINE_SET = EVENT_KINDS.declare("measures.baseline_set", "Chart limits recomputed")
IMPROVEMENT_OPENED = EVENT_KINDS.declare("measures.improvement_opened", "Improvement opened from a chart")
IMPROVEMENT_DONE = EVENT_KINDS.declare("measures.improvement_done", "Improvement done")


def contact_corrected(
    *, case, message_id: int, failure_type: str, rules_said: str, reason: str, by, via: str
):
    """On the case's timeline. data: message_id, failure_type ("" for value demand), rules_said, reason."""
    record(
        CONTACT_CLASSIFIED,
        actor=by,
        via=via,
        case=case,
        message_id=message_id,
        failure_type=failure_type,
        rules_said=rules_said,
        reason=reason,
    )


def rule_changed(*, rule, created: bool, by, via: str) -> None:
    """data: rule_id, name, condition, failure_type, position, enabled, created."""
    record(
        DEMAND_RULE_CHANGED,
        actor=by,
        via=via,
        rule_id=rule.pk,
        name=rule.name,
        condition=rule.condition,
        failure_type=rule.failure_type,
        position=rule.position,
        enabled=rule.enabled,
        created=created,
    )


def baseline_set(*, baseline, by, via: str) -> None:
    """data: chart, first_week, last_week, explanation (what the signal was, and why limits move)."""
    record(
        BASELINE_SET,
        actor=by,
        via=via,
        chart=baseline.chart,
        first_week=baseline.first_week.isoformat(),
        last_week=baseline.last_week.isoformat(),
        explanation=baseline.explanation,
    )


def improvement_opened(*, improvement, by, via: str) -> None:
    """data: improvement_id, title, chart, signal_week, signal."""
    record(
        IMPROVEMENT_OPENED,
        actor=by,
        via=via,
        improvement_id=improvement.pk,
        title=improvement.title,
        chart=improvement.chart,
        signal_week=improvement.signal_week.isoformat(),
        signal=improvement.signal,
    )


WORDS_MODEL_TRAINED = EVENT_KINDS.declare("measures.words_model_trained", "Demand words model trained")


def words_model_trained(*, model, by, via: str) -> None:
    """data: model_id, corrections (what it learned from), accuracy (on a quarter held out, or null)."""
    record(
        WORDS_MODEL_TRAINED,
        actor=by,
        actor_label="" if by else "command",
        via=via,
        model_id=model.pk,
        corrections=model.corrections,
        accuracy=model.accuracy,
    )


def improvement_done(*, improvement, by, via: str) -> None:
    """data: improvement_id, title, notes (what was found and changed)."""
    record(
        IMPROVEMENT_DONE,
        actor=by,
        via=via,
        improvement_id=improvement.pk,
        title=improvement.title,
        notes=improvement.notes,
    )
