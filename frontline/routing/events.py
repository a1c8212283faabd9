"""The events the routing app writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EventKind
from frontline.events.services import record

TRIAGE = "triage"  # the pool of cases the router could not give to anyone: a lead or a person picks


def router_trained(*, version: int, metrics: dict, by, via: str) -> None:
    """data: version, trained_on, held_out, topics_too_rare, and when measured top1, top3, ece, seconds,
    stages (the model's held-out quality and what training cost)."""
    record(
        EventKind.ROUTER_TRAINED,
        actor=by,
        actor_label="" if by else "worker",
        via=via,
        **metrics,
        version=version,
    )


def topic_set(*, case, previous: str, by, via: str, model: int | None = None) -> None:
    """data: topic (slug), previous (slug or ""), confidence (the model's, None when a person set it),
    and model (the version that guessed) when the router set it."""
    extra = {} if model is None else {"model": model}
    confidence = case.topic_confidence
    record(
        EventKind.TOPIC_SET,
        actor=by,
        actor_label="" if by else "router",
        via=via,
        case=case,
        topic=case.topic.slug,
        previous=previous,
        confidence=round(confidence, 3) if confidence is not None else None,
        **extra,
    )


def sent_to_triage(*, case, reason: str, via: str) -> None:
    """data: pool ("triage"), reason."""
    record(EventKind.CASE_ROUTED, actor_label="router", via=via, case=case, pool=TRIAGE, reason=reason)


def routed_to(*, case, agent, reason: str, why_now: str, via: str) -> None:
    """data: assignee_id, reason (the chosen agent's top terms), why_now (what set routing off)."""
    record(
        EventKind.CASE_ROUTED,
        actor_label="router",
        via=via,
        case=case,
        assignee_id=agent.pk,
        reason=reason,
        why_now=why_now,
    )
