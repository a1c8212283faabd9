"""The events the correlation app writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EVENT_KINDS
from frontline.events.services import record

RULE_CHANGED = EVENT_KINDS.declare("correlation.rule_changed", "Grouping rule changed")
GROUP_FOUND = EVENT_KINDS.declare("correlation.group_found", "Grouping rule found a group")
GROUP_DECIDED = EVENT_KINDS.declare("correlation.group_decided", "Grouping proposal decided")


def rule_changed(*, rule, changed: list[str], by, via: str) -> None:
    """data: rule_id, name, version, mode, changed (field names)."""
    record(
        RULE_CHANGED,
        actor=by,
        via=via,
        rule_id=rule.pk,
        name=rule.name,
        version=rule.version,
        mode=rule.mode,
        changed=changed,
    )


def group_found(*, proposal) -> None:
    """A rule's group reached its minimum. data: proposal_id, rule_id, rule, state, key, label, count, why."""
    record(
        GROUP_FOUND,
        actor_label=f"rule {proposal.rule.name}",
        via="correlation",
        proposal_id=proposal.pk,
        rule_id=proposal.rule_id,
        rule=proposal.rule.name,
        state=proposal.state,
        key=proposal.key,
        label=proposal.label,
        count=proposal.count,
        why=proposal.why,
    )


def group_decided(*, proposal, accepted: bool, reason: str, by, via: str) -> None:
    """data: proposal_id, accepted, reason, incident_id."""
    record(
        GROUP_DECIDED,
        actor=by,
        via=via,
        proposal_id=proposal.pk,
        accepted=accepted,
        reason=reason,
        incident_id=proposal.incident_id,
    )
