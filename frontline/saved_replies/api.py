"""Saved replies over JSON: the list with how often customers came back after each, writing them, and each
filled for a case."""

from ninja import Router, Schema, Status
from pydantic import Field

from frontline.agents.models import Capability, Skill
from frontline.agents.services import require
from frontline.cases.lookup import access_case
from frontline.core.api import Id, In, get_or_404
from frontline.saved_replies import services
from frontline.saved_replies.models import SavedReply

router = Router(tags=["saved replies"])


class SavedReplyIn(In):
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(
        min_length=1, max_length=20_000, description="Fields in braces: {first_name}, {case}..."
    )
    topic: str | None = Field(None, description="A skill slug: offered first on cases of that topic")
    is_active: bool = True


class SavedReplyPatch(In):
    title: str | None = Field(None, min_length=1, max_length=120)
    body: str | None = Field(None, min_length=1, max_length=20_000)
    topic: str | None = None
    is_active: bool | None = None


class SavedReplyOut(Schema):
    id: int
    title: str
    body: str
    topic: str | None
    is_active: bool
    uses: int = Field(description="Replies sent that started from it")
    came_back: int = Field(description="Of those, followed within 7 days by a chaser, a reopen or a repeat")
    share: float | None = Field(description="came_back as a percentage of uses")


class FilledOut(Schema):
    id: int
    title: str
    text: str = Field(description="Filled from the case")
    origin: str = Field(description="Send it as the reply's origin (POST /cases/{ref}/messages)")


def _out(reply: SavedReply, record: services.Record | None = None) -> dict:
    record = record or services.records().get(reply.pk, services.Record(0, 0))
    return {
        "id": reply.pk,
        "title": reply.title,
        "body": reply.body,
        "topic": reply.topic.slug if reply.topic_id else None,
        "is_active": reply.is_active,
        "uses": record.uses,
        "came_back": record.came_back,
        "share": record.share,
    }


def _topic(slug: str | None) -> Skill | None:
    return get_or_404(Skill.objects, slug=slug) if slug else None


@router.get("/saved-replies", response=list[SavedReplyOut], summary="Saved replies, and how each fared")
def list_saved_replies(request):
    records = services.records()
    replies = SavedReply.objects.select_related("topic").order_by("title")
    return [_out(reply, records.get(reply.pk, services.Record(0, 0))) for reply in replies]


@router.post("/saved-replies", response={201: SavedReplyOut}, summary="Write a saved reply (team leads)")
def create_saved_reply(request, payload: SavedReplyIn):
    reply = services.save_reply(
        title=payload.title,
        body=payload.body,
        topic=_topic(payload.topic),
        is_active=payload.is_active,
        by=request.agent,
        via="api",
    )
    return Status(201, _out(reply))


@router.patch(
    "/saved-replies/{reply_id}", response=SavedReplyOut, summary="Change a saved reply (team leads)"
)
def change_saved_reply(request, reply_id: Id, payload: SavedReplyPatch):
    require(request.agent, Capability.ASSIGN_OTHERS)  # before the lookup: a stranger learns nothing
    reply = get_or_404(SavedReply.objects.select_related("topic"), pk=reply_id)
    given = payload.dict(exclude_unset=True)
    reply = services.save_reply(
        title=given.get("title", reply.title),
        body=given.get("body", reply.body),
        topic=_topic(given["topic"]) if "topic" in given else reply.topic,
        is_active=given.get("is_active", reply.is_active),
        reply=reply,
        by=request.agent,
        via="api",
    )
    return _out(reply)


@router.get("/cases/{ref}/saved-replies", response=list[FilledOut], summary="Saved replies filled for a case")
def filled_for_case(request, ref: str):
    case = access_case(request.agent, ref)
    fields = services.case_fields(case, request.agent)
    return [
        {
            "id": r.pk,
            "title": r.title,
            "text": services.fill(r, case, request.agent, fields=fields),
            "origin": r.origin,
        }
        for r in services.offered_for(case)
    ]
