"""Staff over JSON, for a provider's own tooling: agents, their roles, teams, skills and levels, goodwill
allowances, and API tokens. Every operation here takes the admin's capability (MANAGE_STAFF)."""

from decimal import Decimal

from ninja import Router, Schema, Status
from pydantic import Field

from frontline.agents import services
from frontline.agents.models import Agent, ApiToken, Capability, Role, Skill, Team
from frontline.core.api import Id, In, get_or_404

router = Router(tags=["staff"])


class AgentIn(In):
    username: str = Field(min_length=1, max_length=150)
    display_name: str = Field(min_length=1, max_length=120)
    email: str = Field("", max_length=254)
    password: str | None = Field(None, min_length=12, max_length=200, description="None: no sign-in (a bot)")
    role: Role = Role.AGENT
    team_id: int | None = Field(None, ge=1, le=2**62)
    skills: dict[str, int] = Field({}, max_length=100, description="{skill slug: level 1-5}")
    capacity: int = Field(20, ge=0, le=500)


class AgentPatch(In):
    display_name: str | None = Field(None, min_length=1, max_length=120)
    role: Role | None = None
    team_id: int | None = Field(None, ge=1, le=2**62)
    skills: dict[str, int] | None = Field(None, max_length=100, description="Replaces the set: {slug: 1-5}")
    capacity: int | None = Field(None, ge=0, le=500)
    is_available: bool | None = None
    goodwill_allowance: Decimal | None = Field(None, ge=0, max_digits=8, decimal_places=2)


class AgentOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    team: str | None
    skills: dict[str, int]
    capacity: int
    is_available: bool
    goodwill_allowance: Decimal


class TeamIn(In):
    name: str = Field(min_length=1, max_length=80)
    time_zone: str = Field("Europe/London", max_length=64)


class TeamOut(Schema):
    id: int
    name: str
    time_zone: str


class SkillIn(In):
    slug: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")
    name: str = Field("", max_length=80)


class SkillOut(Schema):
    id: int
    slug: str
    name: str


class TokenIn(In):
    name: str = Field(min_length=1, max_length=80, description="What uses it: 'billing bridge'")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    revoked: bool


class IssuedOut(TokenOut):
    token: str = Field(description="Shown this once; only its digest is kept")


def _admin(request) -> Agent:
    services.require(request.agent, Capability.MANAGE_STAFF)
    return request.agent


def _out(agent: Agent) -> dict:
    return {
        "id": agent.pk,
        "username": agent.user.username,
        "display_name": agent.display_name,
        "role": agent.role,
        "team": agent.team.name if agent.team_id else None,
        "skills": dict(agent.agentskill_set.values_list("skill__slug", "level")),
        "capacity": agent.capacity,
        "is_available": agent.is_available,
        "goodwill_allowance": agent.goodwill_allowance,
    }


def _token(token: ApiToken) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "revoked": token.revoked_at is not None,
    }


@router.get("/agents", response=list[AgentOut], summary="Staff, with roles, teams and skills")
def list_agents(request):
    _admin(request)
    return [_out(a) for a in Agent.objects.select_related("user", "team").order_by("display_name")]


@router.post("/agents", response={201: AgentOut}, summary="Add a member of staff")
def create_agent(request, payload: AgentIn):
    by = _admin(request)
    team = get_or_404(Team.objects, pk=payload.team_id) if payload.team_id else None
    agent = services.create_agent(
        username=payload.username,
        display_name=payload.display_name,
        email=payload.email,
        password=payload.password,
        role=payload.role,
        team=team,
        capacity=payload.capacity,
        by=by,
    )
    if payload.skills:
        services.change_agent(agent, skills=payload.skills, by=by)
    return Status(201, _out(agent))


@router.patch("/agents/{agent_id}", response=AgentOut, summary="Change a member of staff")
def change_agent(request, agent_id: Id, payload: AgentPatch):
    by = _admin(request)
    agent = get_or_404(Agent.objects.select_related("user", "team"), pk=agent_id)
    given = payload.dict(exclude_unset=True)
    if "role" in given:
        services.change_role(agent, given.pop("role"), by=by)
    if "team_id" in given:
        team_id = given.pop("team_id")
        given["team"] = get_or_404(Team.objects, pk=team_id) if team_id else None
    services.change_agent(agent, by=by, **given)
    return _out(agent)


@router.get("/teams", response=list[TeamOut])
def list_teams(request):
    _admin(request)
    return list(Team.objects.order_by("name"))


@router.post("/teams", response={201: TeamOut})
def create_team(request, payload: TeamIn):
    return Status(
        201, services.create_team(name=payload.name, time_zone=payload.time_zone, by=_admin(request))
    )


@router.get("/skills", response=list[SkillOut])
def list_skills(request):
    _admin(request)
    return list(Skill.objects.order_by("slug"))


@router.post("/skills", response={201: SkillOut}, summary="A kind of problem the router can learn")
def create_skill(request, payload: SkillIn):
    return Status(201, services.create_skill(slug=payload.slug, name=payload.name, by=_admin(request)))


@router.get("/agents/{agent_id}/tokens", response=list[TokenOut])
def list_tokens(request, agent_id: Id):
    _admin(request)
    agent = get_or_404(Agent.objects, pk=agent_id)
    return [_token(t) for t in agent.api_tokens.order_by("pk")]


@router.post("/agents/{agent_id}/tokens", response={201: IssuedOut}, summary="Issue a token: shown once")
def issue_token(request, agent_id: Id, payload: TokenIn):
    by = _admin(request)
    agent = get_or_404(Agent.objects, pk=agent_id)
    token, plaintext = services.issue_api_token(agent, payload.name, by=by)
    return Status(201, {**_token(token), "token": plaintext})


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke a token: it stops working at once")
def revoke_token(request, token_id: Id):
    by = _admin(request)
    token = get_or_404(ApiToken.objects, pk=token_id)
    if token.revoked_at is None:
        services.revoke_api_token(token, by=by)
    return _token(token)
