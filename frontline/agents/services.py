"""Every change to staff goes through here: pages, API, admin actions and commands alike."""

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from frontline.agents import events
from frontline.agents.models import Agent, AgentSkill, ApiToken, Capability, Role, Skill, Team
from frontline.core import clock, rows
from frontline.core.errors import NotAllowed, ServiceError

TOKEN_PREFIX = "fl_"


def require(agent: Agent | None, capability: str) -> None:
    """Refuse unless `agent` holds `capability`. Services call this before any change."""
    if agent is None or not agent.can(capability):
        raise NotAllowed(f"your role does not allow: {Capability(capability).label.lower()}")


@transaction.atomic
def leads_of(agent: Agent) -> list[Agent]:
    """Who answers for this person's work: their team's leads (any lead, for someone in no team)."""
    leads = Agent.objects.filter(role=Role.TEAM_LEAD).exclude(pk=agent.pk)
    if agent.team_id is None:
        return list(leads.order_by("pk")[:1])
    return list(leads.filter(team_id=agent.team_id))


def create_agent(
    *,
    username: str,
    display_name: str,
    email: str,
    password: str | None,
    role: str = Role.AGENT,
    team: Team | None = None,
    skills: dict[str, int] | None = None,
    capacity: int = 20,
    by: Agent | None = None,
) -> Agent:
    if by is not None:  # a person through the API; commands and the demo create staff as the system
        require(by, Capability.MANAGE_STAFF)
    if role not in Role.values:
        raise ServiceError(f"unknown role {role!r}", field="role")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ServiceError(f"username {username!r} is taken", field="username")
    user = User.objects.create_user(username=username, email=email, password=password)
    # Only admins reach Django's admin site; everyone else works in the workspace.
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["is_staff", "is_superuser"])
    agent = Agent.objects.create(
        user=user, display_name=display_name, role=role, team=team, capacity=capacity
    )
    for slug, level in (skills or {}).items():
        skill, _ = Skill.objects.get_or_create(slug=slug, defaults={"name": slug.replace("-", " ").title()})
        AgentSkill.objects.create(agent=agent, skill=skill, level=level)
    events.agent_created(agent=agent, by=by)
    return agent


@transaction.atomic
def change_role(agent: Agent, role: str, *, by: Agent) -> Agent:
    require(by, Capability.MANAGE_STAFF)
    if role not in Role.values:
        raise ServiceError(f"unknown role {role!r}", field="role")
    previous = agent.role
    agent.role = role
    agent.save(update_fields=["role"])
    agent.user.is_staff = agent.user.is_superuser = role == Role.ADMIN
    agent.user.save(update_fields=["is_staff", "is_superuser"])
    events.role_changed(agent=agent, previous=previous, by=by)
    return agent


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_api_token(agent: Agent, name: str, *, by: Agent | None = None) -> tuple[ApiToken, str]:
    """Returns the token row and the plaintext token, which is shown once and never stored."""
    if by is not None:
        require(by, Capability.MANAGE_STAFF)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        agent=agent, name=name, prefix=plaintext[:10], digest=_digest(plaintext), created_at=clock.now()
    )
    events.token_issued(token=token, by=by)
    return token, plaintext


@transaction.atomic
def revoke_api_token(token: ApiToken, *, by: Agent | None = None) -> None:
    if by is not None:
        require(by, Capability.MANAGE_STAFF)
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    events.token_revoked(token=token, by=by)


@transaction.atomic
def trust_reporter(token: ApiToken, trusted: bool, *, by: Agent) -> ApiToken:
    """Whether this integration's abuse reports may justify containment before notice. Only admins say so."""
    require(by, Capability.MANAGE_STAFF)
    token.trusted_reporter = trusted
    token.save(update_fields=["trusted_reporter"])
    events.token_trust_changed(token=token, by=by)
    return token


def token_for(plaintext: str) -> ApiToken | None:
    """The live token a presented bearer token is, with its agent, or None when unknown or revoked."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    # Plain SQL: every API call asks, and building the ORM's join cost more than running it.
    token = rows.find(
        ApiToken,
        "t0.digest = %s AND t0.revoked_at IS NULL",
        [_digest(plaintext)],
        follow=("agent", "agent__user"),
    )
    if token is None or not token.agent.user.is_active:
        return None
    # Last use is kept to the minute: writing on every call would serialise API reads on SQLite.
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


CHANGEABLE = ("display_name", "team", "skills", "capacity", "is_available", "goodwill_allowance")


@transaction.atomic
def change_agent(agent: Agent, *, by: Agent, **changes) -> Agent:
    """Change what an admin keeps about a person: name, team, skills and levels ({slug: 1-5}; the set
    replaces the old one), capacity, availability, monthly goodwill allowance. (The role: change_role.)"""
    require(by, Capability.MANAGE_STAFF)
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ServiceError(f"cannot change {', '.join(sorted(unknown))} here", field=sorted(unknown)[0])
    before, after = {}, {}
    skills = changes.pop("skills", None)
    if skills is not None:
        if any(not 1 <= level <= 5 for level in skills.values()):
            raise ServiceError("a skill's level is 1 (learning) to 5 (expert)", field="skills")
        known = dict(Skill.objects.filter(slug__in=skills).values_list("slug", "pk"))
        if set(skills) - set(known):
            raise ServiceError(f"no skill {', '.join(sorted(set(skills) - set(known)))}", field="skills")
        before["skills"] = str(dict(agent.agentskill_set.values_list("skill__slug", "level")))
        AgentSkill.objects.filter(agent=agent).delete()
        AgentSkill.objects.bulk_create(
            AgentSkill(agent=agent, skill_id=known[s], level=v) for s, v in skills.items()
        )
        after["skills"] = str(skills)
    for field, value in changes.items():
        if field == "capacity" and not 0 <= value <= 500:
            raise ServiceError("capacity is 0 to 500 open cases", field="capacity")
        if field == "goodwill_allowance" and value < 0:
            raise ServiceError("an allowance cannot be negative", field="goodwill_allowance")
        before[field], after[field] = str(getattr(agent, field)), str(value)
        setattr(agent, field, value)
    if changes:
        agent.save(update_fields=list(changes))
    if after:
        events.agent_changed(agent=agent, before=before, after=after, by=by)
    return agent


@transaction.atomic
def create_team(*, name: str, time_zone: str = "Europe/London", by: Agent) -> Team:
    require(by, Capability.MANAGE_STAFF)
    name = name.strip()
    if not name or Team.objects.filter(name__iexact=name).exists():
        raise ServiceError(f"a team needs a name of its own: {name!r}", field="name")
    team = Team.objects.create(name=name, time_zone=time_zone)
    events.team_created(team=team, by=by)
    return team


@transaction.atomic
def create_skill(*, slug: str, name: str, by: Agent) -> Skill:
    """A kind of problem: the router learns it from cases labelled with it."""
    require(by, Capability.MANAGE_STAFF)
    if Skill.objects.filter(slug=slug).exists():
        raise ServiceError(f"there is a skill {slug!r} already", field="slug")
    skill = Skill.objects.create(slug=slug, name=name.strip() or slug.replace("-", " ").title())
    events.skill_created(skill=skill, by=by)
    return skill
