"""Monitoring over JSON: matchers (checked at save), alerts as read, components and their health."""

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.core.api import Id, In, Limit, Moment, get_or_404
from frontline.monitoring import changes, services
from frontline.monitoring.models import (
    Alert,
    AlertStatus,
    Change,
    ChangeKind,
    Component,
    ComponentKind,
    Health,
    LooksUp,
    Matcher,
)

router = Router(tags=["monitoring"])


class MatcherIn(In):
    label: str = Field(max_length=100, description="The alert label to read: instance, job, site, ip, ...")
    looks_up: LooksUp
    alertname: str = Field("", max_length=200, description="Only alerts of this name; blank for any")
    health: Health = Field(Health.DOWN, description="What a firing alert means: down or degraded")
    position: int = Field(100, ge=0, le=100_000, description="Matchers are tried in this order")
    is_active: bool = True
    topic: str = Field(
        "", max_length=50, description="The skill its alerts' cases need (slug); blank: routed"
    )


class MatcherOut(MatcherIn):
    id: int


def _matcher(m: Matcher) -> dict:
    fields = {key: getattr(m, key) for key in MatcherIn.model_fields if key != "topic"}
    return fields | {"id": m.pk, "topic": m.topic.slug if m.topic_id else ""}


@router.get("/monitoring/matchers", response=list[MatcherOut])
def list_matchers(request):
    return [_matcher(m) for m in Matcher.objects.all()]


@router.post(
    "/monitoring/matchers", response={201: MatcherOut}, summary="Add a matcher (refused if it cannot match)"
)
def create_matcher(request, payload: MatcherIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    return Status(201, _matcher(services.save_matcher(by=request.agent, via="api", **payload.dict())))


@router.put("/monitoring/matchers/{matcher_id}", response=MatcherOut)
def change_matcher(request, matcher_id: Id, payload: MatcherIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    matcher = get_or_404(Matcher.objects, pk=matcher_id)
    return _matcher(services.save_matcher(matcher, by=request.agent, via="api", **payload.dict()))


class AlertOut(Schema):
    id: int
    source: str
    fingerprint: str
    name: str
    status: str
    labels: dict
    annotations: dict
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str
    health: str
    mapped: bool
    units: list[int]
    components: list[str]
    first_seen_at: datetime
    last_seen_at: datetime


@router.get("/monitoring/alerts", response=list[AlertOut], summary="Alerts as read, newest first")
def list_alerts(request, status: AlertStatus | None = None, limit: Limit = 50):
    alerts = (
        Alert.objects.select_related("source")
        .prefetch_related("units", "components")
        .order_by("-last_seen_at")
    )
    if status:
        alerts = alerts.filter(status=status)
    return [
        {
            "id": a.pk,
            "source": a.source.name,
            "mapped": a.matcher_id is not None,
            "units": [u.pk for u in a.units.all()],
            "components": [c.name for c in a.components.all()],
            **{
                k: getattr(a, k)
                for k in (
                    "fingerprint",
                    "name",
                    "status",
                    "labels",
                    "annotations",
                    "starts_at",
                    "ends_at",
                    "generator_url",
                    "health",
                    "first_seen_at",
                    "last_seen_at",
                )
            },
        }
        for a in alerts[:limit]
    ]


class ComponentIn(In):
    name: str = Field(max_length=100)
    kind: ComponentKind
    group: str = Field(max_length=60, description="The status page's heading for it")
    parent: str | None = Field(None, max_length=100, description="The name of the component it hangs off")
    public: bool = True


class ComponentOut(Schema):
    id: int
    name: str
    kind: str
    group: str
    parent: str | None
    public: bool
    state: str
    state_changed_at: datetime | None


class HealthIn(In):
    state: Health
    reason: str = Field(max_length=500)


def _component(c: Component) -> dict:
    return {k: getattr(c, k) for k in ("name", "kind", "group", "public", "state", "state_changed_at")} | {
        "id": c.pk,
        "parent": c.parent.name if c.parent_id else None,
    }


@router.get("/monitoring/components", response=list[ComponentOut])
def list_components(request):
    return [_component(c) for c in Component.objects.select_related("parent").order_by("group", "name")]


@router.post("/monitoring/components", response={201: ComponentOut})
def create_component(request, payload: ComponentIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    parent = get_or_404(Component.objects, name=payload.parent) if payload.parent else None
    return Status(
        201,
        _component(
            services.add_component(
                name=payload.name,
                kind=payload.kind,
                group=payload.group,
                parent=parent,
                public=payload.public,
            )
        ),
    )


@router.put(
    "/monitoring/components/{component_id}/state",
    response=ComponentOut,
    summary="Set a component's state by hand (one nobody monitors)",
)
def set_state(request, component_id: Id, payload: HealthIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    component = get_or_404(Component.objects, pk=component_id)
    return _component(services.set_component_health(component, payload.state, reason=payload.reason))


class ChangeIn(In):
    kind: ChangeKind = Field(description="deploy, configuration, hardware or other")
    summary: str = Field(max_length=300, description="What changed, in a line")
    detail: str = Field("", max_length=20_000)
    targets: list[str] = Field(
        max_length=changes.MAX_TARGETS, description="Component names, hostnames or unit names it touched"
    )
    changed_by: str = Field(max_length=200, description="Who made it: a person or a pipeline")
    started_at: Moment | None = Field(None, description="When it started; now if left out")
    finished_at: Moment | None = None
    tool: str = Field("", max_length=100, description="What recorded it: ansible, a CI job...")
    link: str = Field("", max_length=500, description="The pipeline run, the merge request")
    external_id: str = Field("", max_length=200, description="Your id for it: a retry records it once")


class ChangeOut(Schema):
    id: int
    kind: str
    summary: str
    targets: list[str]
    components: list[str]
    units: int
    unmatched: list[str] = Field(description="Targets that named nothing in the inventory (kept as written)")
    changed_by: str
    started_at: datetime
    finished_at: datetime | None
    tool: str
    link: str
    external_id: str | None


def _change(change: Change) -> dict:
    fields = ("kind", "summary", "targets", "changed_by", "started_at", "finished_at", "tool", "link")
    return {k: getattr(change, k) for k in fields} | {
        "id": change.pk,
        "external_id": change.external_id,
        "components": [c.name for c in change.components.all()],
        "units": change.units.count(),
        "unmatched": changes.unmatched(change),
    }


@router.post(
    "/changes",
    response={200: ChangeOut, 201: ChangeOut},
    summary="Record a change or deploy (from CI or configuration management); a retried external_id is "
    "answered 200 with the change already recorded",
)
def record_change(request, payload: ChangeIn):
    change, created = changes.record_change(by=request.agent, via="api", **payload.dict())
    return Status(201 if created else 200, _change(change))


@router.get("/changes", response=list[ChangeOut], summary="Recorded changes, newest first")
def list_changes(request, limit: Limit = 50):
    return [_change(c) for c in Change.objects.prefetch_related("components").order_by("-started_at")[:limit]]
