"""The events the agents app writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EVENT_KINDS, EventKind
from frontline.events.services import record


def agent_created(*, agent, by) -> None:
    """data: agent_id, role."""
    record(EventKind.AGENT_CREATED, actor=by, actor_label="system", agent_id=agent.pk, role=agent.role)


def role_changed(*, agent, previous: str, by) -> None:
    """data: agent_id, role, previous."""
    record(EventKind.AGENT_ROLE_CHANGED, actor=by, agent_id=agent.pk, role=agent.role, previous=previous)


def token_issued(*, token, by) -> None:
    """data: agent_id, token (the prefix; the token itself is never stored)."""
    record(
        EventKind.API_TOKEN_ISSUED,
        actor=by,
        actor_label="system",
        agent_id=token.agent_id,
        token=token.prefix,
    )


def token_revoked(*, token, by) -> None:
    """data: agent_id, token."""
    record(
        EventKind.API_TOKEN_REVOKED,
        actor=by,
        actor_label="system",
        agent_id=token.agent_id,
        token=token.prefix,
    )


def token_trust_changed(*, token, by) -> None:
    """data: agent_id, token, trusted_reporter."""
    record(
        EventKind.API_TOKEN_TRUST_CHANGED,
        actor=by,
        agent_id=token.agent_id,
        token=token.prefix,
        trusted_reporter=token.trusted_reporter,
    )


AGENT_CHANGED = EVENT_KINDS.declare("agent.changed", "Agent changed")


def agent_changed(*, agent, before: dict, after: dict, by) -> None:
    """Name, team, skills and levels, capacity, availability or goodwill allowance. data: agent_id, before,
    after (each field changed, as text)."""
    record(AGENT_CHANGED, actor=by, agent_id=agent.pk, before=before, after=after)


TEAM_CREATED = EVENT_KINDS.declare("agent.team_created", "Team created")
SKILL_CREATED = EVENT_KINDS.declare("agent.skill_created", "Skill created")


def team_created(*, team, by) -> None:
    """data: team_id, name."""
    record(TEAM_CREATED, actor=by, team_id=team.pk, name=team.name)


def skill_created(*, skill, by) -> None:
    """data: skill_id, slug."""
    record(SKILL_CREATED, actor=by, skill_id=skill.pk, slug=skill.slug)
