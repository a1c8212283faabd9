"""The events the agents app writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EventKind
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
