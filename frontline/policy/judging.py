"""Events in, judged: every policy event is stored as it came before anything reads it, then matched to the
smallest unit it names, given the typed context the rules see (built here, beside the schema that
declares it), and judged by the rules of its trigger."""

import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.core import clock
from frontline.core.errors import ServiceError, require_choice
from frontline.customers.models import ServiceUnit
from frontline.customers.services import has_working_channel
from frontline.policy import engine, events, schema
from frontline.policy.decisions import follow_up, is_good_news, lift_on_good_news, propose
from frontline.policy.models import (
    DISRUPTIVE,
    Decision,
    EventSource,
    PolicyEvent,
    PolicyEventStatus,
    Trigger,
)
from frontline.policy.wording import ref_words
from frontline.todos.models import ToDoKind
from frontline.todos.services import raise_todo


def find_unit(ref: dict) -> ServiceUnit | None:
    """The smallest unit the reference names: by id, then by address (a host before the line it sits on),
    then by name (a site's domain) or hostname."""
    units = ServiceUnit.objects.select_related("customer", "parent")
    if ref.get("unit_id"):
        return units.filter(pk=ref["unit_id"]).first()
    if ref.get("customer_id"):  # billing names an account: its first root unit stands for it
        return units.filter(customer_id=ref["customer_id"], parent__isnull=True).order_by("pk").first()
    candidates = []
    if ref.get("ip"):
        candidates = list(units.filter(ip_address=str(ref["ip"]).strip()))
    for key in ("name", "domain", "hostname"):
        if not candidates and ref.get(key):
            value = str(ref[key]).strip().lower().rstrip(".")
            candidates = list(units.filter(name__iexact=value)) or (
                list(units.filter(hostname__iexact=value)) if key == "hostname" else []
            )
    if len(candidates) == 1:
        return candidates[0]
    # Deepest first: the host, not the port; the site, not the account.
    return max(candidates, key=_depth, default=None)


def _depth(unit: ServiceUnit) -> int:
    depth, parent_id = 0, unit.parent_id
    while parent_id is not None:
        depth += 1
        parent_id = ServiceUnit.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    return depth


def _interpretable(trigger: str, source: str, facts: dict, ref: dict) -> None:
    require_choice(trigger, Trigger, "trigger")
    require_choice(source, EventSource, "source")
    if not isinstance(facts, dict) or not isinstance(ref, dict):
        raise ServiceError("facts and unit must be objects", field="facts")
    schema.check_facts(trigger, facts)


def receive_events(
    items: list[dict], *, source: str, batch: str = "", by=None, raw_message=None
) -> list[PolicyEvent]:
    """Store each event as given, then judge them together: one notice and one case per customer for a batch.

    Each item: trigger, kind, facts (the trigger's fields), unit (a reference: unit_id, ip, name, hostname),
    payload (what the sender sent, kept for the record), idempotency_key (optional).
    """
    if by is not None:  # the rules act on these: an agent's word alone is not enough
        require(by, Capability.REPORT_EVENTS)
    if not items:
        raise ServiceError("no events given", field="events")
    for item in items:  # every item checked before any is stored: a bad batch is refused whole
        _interpretable(item.get("trigger", ""), source, item.get("facts") or {}, item.get("unit") or {})
    stored, fresh = [], []
    for item in items:
        event, created = _store(item, source=source, batch=batch, raw_message=raw_message)
        stored.append(event)
        if created:
            fresh.append(event)
    if fresh:
        with transaction.atomic():
            judged = [_judge(event, by=by) for event in fresh]
            follow_up([d for decisions in judged for d in decisions], by=by)
    fresh_rows = PolicyEvent.objects.in_bulk([event.pk for event in stored])  # as judged, in one read
    return [fresh_rows[event.pk] for event in stored]


def _store(item: dict, *, source: str, batch: str, raw_message) -> tuple[PolicyEvent, bool]:
    key = item.get("idempotency_key") or None
    if key:
        existing = PolicyEvent.objects.filter(idempotency_key=key).first()
        if existing:
            return existing, False
    payload = item.get("payload") or {"facts": item.get("facts") or {}, "unit": item.get("unit") or {}}
    try:
        with transaction.atomic():
            event = PolicyEvent.objects.create(
                trigger=item["trigger"],
                kind=str(item.get("kind") or "")[:40],
                source=source,
                received_at=clock.now(),
                batch=batch[:120],
                idempotency_key=key,
                payload=payload,
                raw_message=raw_message,
                context={
                    "facts": item.get("facts") or {},
                    "unit_ref": item.get("unit") or {},
                    "trusted_by": item.get("trusted_by") or "",
                },
            )
    except IntegrityError:  # the same key stored meanwhile by another request
        return PolicyEvent.objects.get(idempotency_key=key), False
    return event, True


BILLING_KINDS = ("invoice_overdue", "payment_received")


def receive_billing_event(
    *,
    kind: str,
    customer_id: int,
    invoice: str,
    amount=0,
    days_overdue: int = 0,
    unit_id: int | None = None,
    idempotency_key: str = "",
    by=None,
) -> list[PolicyEvent]:
    """Billing's word: an invoice overdue (judged by the payment rules, per unit invoiced, or per root unit of
    the account), or a payment (which lifts what non-payment did)."""
    if kind not in BILLING_KINDS:
        raise ServiceError(f"kind must be one of {', '.join(BILLING_KINDS)}", field="kind")
    if days_overdue < 0:
        raise ServiceError("days_overdue cannot be negative", field="days_overdue")
    facts = {
        "days_overdue": days_overdue if kind == "invoice_overdue" else 0,
        "amount": float(amount),
        "invoice": invoice,
    }
    if unit_id:
        refs = [{"unit_id": unit_id}]
    else:
        roots = ServiceUnit.objects.filter(customer_id=customer_id, parent__isnull=True).order_by("pk")
        refs = [{"unit_id": pk} for pk in roots.values_list("pk", flat=True)] or [
            {"customer_id": customer_id}
        ]
        if kind == "payment_received":
            refs = refs[:1]  # one record of the payment; the lift covers the whole account
    items = [
        {
            "trigger": Trigger.PAYMENT_OVERDUE,
            "kind": kind,
            "facts": facts,
            "unit": ref,
            "payload": {"kind": kind, "customer_id": customer_id, "unit_id": unit_id, **facts},
            "idempotency_key": f"{idempotency_key}:{n}" if idempotency_key else None,
        }
        for n, ref in enumerate(refs)
    ]
    return receive_events(items, source=EventSource.BILLING, batch=f"billing:{invoice}", by=by)


def record_unreadable(*, trigger: str, source: str, payload: dict, problem: str, raw_message=None, by=None):
    """An abuse report or scan we could not read: kept as it came, and raised for a person."""
    with transaction.atomic():
        event = PolicyEvent.objects.create(
            trigger=trigger,
            source=source,
            received_at=clock.now(),
            payload=payload,
            raw_message=raw_message,
            status=PolicyEventStatus.UNREADABLE,
            problem=problem[:2000],
        )
        raise_todo(
            kind=ToDoKind.REVIEW_EVENT,
            title=f"Read a {event.get_trigger_display().lower()} we could not: {problem[:120]}",
            detail=problem,
            evidence={"policy_event_id": event.pk},
            by=by,
        )
    return event


def _judge(event: PolicyEvent, *, by=None) -> list[Decision]:
    facts, ref = event.context.get("facts", {}), event.context.get("unit_ref", {})
    unit = find_unit(ref)
    if unit is None:
        event.status, event.problem = (
            PolicyEventStatus.UNMATCHED,
            f"no service unit matches {ref_words(ref)}",
        )
        event.save(update_fields=["status", "problem"])
        events.event_unmatched(event=event, by=by)
        raise_todo(
            kind=ToDoKind.REVIEW_EVENT,
            title=f"{event.get_trigger_display()} about {ref_words(ref)}: which unit is it?",
            detail="Nothing was done: the event names no unit we know. It is kept as it came.",
            evidence={"policy_event_id": event.pk},
            by=by,
        )
        return []
    event.unit, event.customer = unit, unit.customer
    event.context = build_context(event, unit, facts) | {
        "unit_ref": ref,
        "trusted_by": event.context.get("trusted_by", ""),
    }
    event.status = PolicyEventStatus.JUDGED
    verdict = _verdict(event)
    if verdict.failed:
        event.problem = "; ".join(
            f"rule {rule.name!r} could not be evaluated: {error}" for rule, error in verdict.failed
        )
    event.save(update_fields=["unit", "customer", "context", "status", "problem"])
    events.event_received(event=event, fired=[rule.name for rule in verdict.fired], by=by)
    lift_on_good_news(event, by=by)
    return [propose(event, unit, rule) for rule in verdict.fired]


def _verdict(event: PolicyEvent) -> engine.Verdict:
    if is_good_news(event):
        return engine.Verdict()  # a clean scan or a payment is judged by nothing but the lift below
    rules = engine.rule_cache.rules_for(event.trigger)
    return engine.judge(rules, engine.bindable(event.trigger, event.context))


def build_context(event: PolicyEvent, unit: ServiceUnit, facts: dict) -> dict:
    """The typed context of schema.py, as the rules see it at this moment; stored with the event."""
    at = event.received_at
    customer = unit.customer
    parent = unit.parent
    month, quarter = at - timedelta(days=30), at - timedelta(days=90)
    units = ServiceUnit.objects.filter(customer=customer).aggregate(
        all=Count("id"), siblings=Count("id", filter=Q(parent_id=unit.parent_id) & ~Q(pk=unit.pk))
    )
    # One read of the customer's events of this trigger in the last 90 days (index: customer, trigger, time).
    history = (
        PolicyEvent.objects.filter(
            customer=customer, trigger=event.trigger, received_at__gte=quarter, received_at__lt=at
        )
        .exclude(pk=event.pk)
        .aggregate(
            same_unit_30d=Count("id", filter=Q(unit=unit, received_at__gte=month)),
            same_unit_90d=Count("id", filter=Q(unit=unit)),
            same_customer_30d=Count("id", filter=Q(received_at__gte=month)),
        )
    )
    history["actions_90d"] = Decision.objects.filter(
        customer=customer, applied_at__gte=quarter, action__in=DISRUPTIVE
    ).count()
    history["open_cases"] = customer.cases.filter(is_open=True).count()
    tenure = (at.date() - customer.customer_since).days / 365.25
    return {
        "event": schema.typed(
            schema.event_fields(event.trigger),
            {**facts, "trigger": event.trigger, "source": event.source, "received_at": at.isoformat()},
        ),
        "unit": schema.typed(
            schema.UNIT.fields,
            {
                "kind": unit.kind,
                "name": unit.name,
                "state": unit.state,
                "hostname": unit.hostname,
                "ip": unit.ip_address or "",
                "end_users": unit.end_users,
                "depth": _depth(unit),
                "parent_kind": parent.kind if parent else "",
                "siblings": units["siblings"],
            },
        ),
        "customer": schema.typed(
            schema.CUSTOMER.fields,
            {
                "plan": customer.plan,
                "tier": customer.tier,
                "tenure_years": round(tenure, 2),
                "monthly_value": float(customer.monthly_value),
                "units": units["all"],
                "working_channel": has_working_channel(customer),
            },
        ),
        "history": schema.typed(schema.HISTORY.fields, history)
        | {"tags": sorted(set(re.findall(r"#(\w+)", customer.notes.lower())))},
    }
