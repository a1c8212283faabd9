"""The to-do list over JSON: what needs a person (fix a contact, call back, decide), and marking one done."""

import datetime

from ninja import Router, Schema
from pydantic import Field

from frontline.core.api import Id, In, Limit, get_or_404
from frontline.todos import services
from frontline.todos.models import ToDo, ToDoStatus

router = Router(tags=["to-dos"])


class ToDoOut(Schema):
    id: int
    kind: str
    title: str
    detail: str
    customer_id: int | None
    case: str | None
    contact_id: int | None
    due_at: datetime.datetime | None
    status: str
    outcome: str
    evidence: dict


class FinishIn(In):
    outcome: str = Field(min_length=1, max_length=5000, description="What was done")
    cancelled: bool = Field(False, description="Not needed any more, rather than done")


def _out(todo: ToDo) -> dict:
    return {
        "id": todo.pk,
        "kind": todo.kind,
        "title": todo.title,
        "detail": todo.detail,
        "customer_id": todo.customer_id,
        "case": f"C-{todo.case_id}" if todo.case_id else None,
        "contact_id": todo.contact_point_id,
        "due_at": todo.due_at,
        "status": todo.status,
        "outcome": todo.outcome,
        "evidence": todo.evidence,
    }


@router.get("/todos", response=list[ToDoOut], summary="Open to-dos, soonest due first")
def list_todos(request, kind: str = "", limit: Limit = 100):
    todos = ToDo.objects.filter(status=ToDoStatus.OPEN).order_by("due_at", "pk")
    if kind:
        todos = todos.filter(kind=kind[:32])
    return [_out(t) for t in todos[:limit]]


@router.post("/todos/{todo_id}/finish", response=ToDoOut, summary="Done (or no longer needed), saying what")
def finish(request, todo_id: Id, payload: FinishIn):
    todo = get_or_404(ToDo.objects, pk=todo_id)
    todo = services.finish_todo(
        todo, by=request.agent, outcome=payload.outcome, cancelled=payload.cancelled, via="api"
    )
    return _out(todo)
