"""Changing what the measures say, by people: a contact's class, the demand rules, a chart's baseline, an
improvement opened from a signal. Each is an event; the figures themselves are derived (refresh.py)."""

import datetime

from django.db import transaction

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases.models import Direction, Message
from frontline.core import clock
from frontline.core.errors import Conflict, ServiceError, require_choice
from frontline.measures import events, refresh, schema
from frontline.measures.charts import chart_csv, chart_svg
from frontline.measures.derive import is_customer_contact, monday
from frontline.measures.models import (
    VALUE,
    Baseline,
    Contact,
    Correction,
    DemandRule,
    FailureType,
    Improvement,
    ImprovementStatus,
)
from frontline.measures.xmr import Chart
from frontline.policy import expressions


def correct_contact(
    message: Message, *, failure_type: str, by, reason: str = "", via: str = "web"
) -> Contact:
    """A person's word on one inbound contact: value demand, or which failure. It outranks the rules from
    now on, and the rules' agreement with people is measured from these."""
    require(by, Capability.WORK_CASES)
    if message.direction != Direction.INBOUND or not is_customer_contact(message.channel, message.sender):
        raise ServiceError("only a customer's own contact has a demand class", field="message")
    failure_type = "" if failure_type in ("", VALUE) else failure_type
    if failure_type:
        require_choice(failure_type, FailureType, "failure_type")
    reason = reason.strip()[:300]
    with transaction.atomic():
        contact = Contact.objects.filter(message_id=message.pk).first()
        if contact is None:  # not derived yet (the periodic pass has not come), or not counted at all
            refresh.rederive_cases([message.case_id])
            contact = Contact.objects.filter(message_id=message.pk).first()
        if contact is None:
            raise Conflict("this contact is not counted (its sender is not matched to an account yet)")
        Correction.objects.update_or_create(
            message_id=message.pk,
            defaults=dict(failure_type=failure_type, reason=reason, by=by, at=clock.now()),
        )
        events.contact_corrected(
            case=message.case,
            message_id=message.pk,
            failure_type=failure_type,
            rules_said=contact.rules_said,
            reason=reason,
            by=by,
            via=via,
        )
        refresh.rederive_cases([message.case_id])
    return Contact.objects.get(message_id=message.pk)


@transaction.atomic
def save_rule(
    *,
    by,
    name: str,
    condition: str,
    failure_type: str,
    position: int = 100,
    enabled: bool = True,
    rule: DemandRule | None = None,
    via: str = "web",
) -> DemandRule:
    """Write a demand rule, checked against the contact's schema before it is saved. Contacts already
    classified keep their class until their problem is derived again (`frontline measures --rebuild`)."""
    require(by, Capability.ASSIGN_OTHERS)
    name, condition = (name or "").strip(), (condition or "").strip()
    if not name:
        raise ServiceError("a rule needs a name", field="name")
    require_choice(failure_type, FailureType, "failure_type")
    expressions.require_valid(condition, schema.VARIABLES, schema.describe)
    if not 0 <= int(position) <= 10_000:
        raise ServiceError("position is between 0 and 10000", field="position")
    if DemandRule.objects.filter(name__iexact=name).exclude(pk=rule.pk if rule else None).exists():
        raise Conflict(f"a rule named {name!r} already exists", field="name")
    created = rule is None
    rule = rule or DemandRule()
    rule.name, rule.condition, rule.failure_type = name, condition, failure_type
    rule.position, rule.enabled = int(position), bool(enabled)
    rule.updated_at, rule.updated_by = clock.now(), by
    rule.save()
    events.rule_changed(rule=rule, created=created, by=by, via=via)
    return rule


@transaction.atomic
def set_baseline(
    *, chart: str, first_week: datetime.date, last_week: datetime.date, explanation: str, by, via: str = "web"
) -> Baseline:
    """Recompute a chart's limits from other weeks: only with the signal explained."""
    require(by, Capability.ASSIGN_OTHERS)
    explanation = (explanation or "").strip()
    if len(explanation) < 10:
        raise ServiceError(
            "say what the signal was and why the limits move (a sentence)", field="explanation"
        )
    if last_week <= first_week:
        raise ServiceError("a baseline spans at least two weeks", field="last_week")
    baseline = Baseline.objects.create(
        chart=chart[:120],
        first_week=monday(first_week),
        last_week=monday(last_week),
        explanation=explanation[:4000],
        set_at=clock.now(),
        set_by=by,
    )
    events.baseline_set(baseline=baseline, by=by, via=via)
    return baseline


@transaction.atomic
def open_improvement(
    *,
    chart_key: str,
    title: str,
    drawn: Chart,
    week: datetime.date,
    unit: str,
    by,
    via: str = "web",
) -> Improvement:
    """Work on the system from a signal: the chart as it is now goes with it as evidence."""
    require(by, Capability.ASSIGN_OTHERS)
    if week not in drawn.weeks:
        raise ServiceError("that week is not on the chart", field="week")
    index = drawn.weeks.index(week)
    if index not in drawn.signals:
        raise ServiceError("that week shows no signal", field="week")
    title = (title or "").strip() or f"Signal in {chart_key}, week of {week:%d %b %Y}"
    improvement = Improvement.objects.create(
        title=title[:200],
        chart=chart_key[:120],
        signal_week=week,
        signal=", ".join(drawn.signals[index])[:200],
        evidence_svg=chart_svg(drawn, title=title, unit=unit),
        evidence_csv=chart_csv(drawn),
        owner=by,
        opened_at=clock.now(),
        opened_by=by,
    )
    events.improvement_opened(improvement=improvement, by=by, via=via)
    return improvement


@transaction.atomic
def finish_improvement(improvement: Improvement, *, notes: str, by, via: str = "web") -> Improvement:
    """Done: what was found and changed (or why nothing), in words that stay with the chart."""
    require(by, Capability.ASSIGN_OTHERS)
    notes = (notes or "").strip()
    if len(notes) < 10:
        raise ServiceError("say what was found and what changed (a sentence)", field="notes")
    if improvement.status == ImprovementStatus.DONE:
        raise Conflict("this improvement is already done", field="status")
    improvement.status, improvement.notes = ImprovementStatus.DONE, notes[:10_000]
    improvement.save(update_fields=["status", "notes"])
    events.improvement_done(improvement=improvement, by=by, via=via)
    return improvement
