"""Raising and finishing to-dos. Each is an event on the customer (and the case, when there is one)."""

from django.db import transaction

from frontline.core import clock
from frontline.core.errors import Conflict, ServiceError
from frontline.todos import events
from frontline.todos.models import TODO_KINDS, ToDo, ToDoStatus


@transaction.atomic
def raise_todo(
    *,
    kind: str,
    title: str,
    detail: str = "",
    customer=None,
    case=None,
    contact_point=None,
    assignee=None,
    due_at=None,
    evidence: dict | None = None,
    by=None,
    via: str = "",
) -> ToDo:
    TODO_KINDS.check(kind)
    if contact_point is not None:
        # One open to-do per contact point and kind: a second bounce adds nothing to do.
        existing = ToDo.objects.filter(kind=kind, contact_point=contact_point, status=ToDoStatus.OPEN).first()
        if existing:
            return existing
    todo = ToDo.objects.create(
        kind=kind,
        title=title[:255],
        detail=detail,
        customer=customer or (case.customer if case else None),
        case=case,
        contact_point=contact_point,
        assignee=assignee,
        due_at=due_at,
        created_at=clock.now(),
        evidence=evidence or {},
    )
    events.todo_raised(todo=todo, by=by, via=via)
    return todo


@transaction.atomic
def finish_todo(todo: ToDo, *, by, outcome: str, cancelled: bool = False, via: str = "web") -> ToDo:
    todo = ToDo.objects.select_for_update().get(pk=todo.pk)
    if todo.status != ToDoStatus.OPEN:
        raise Conflict("this to-do is already finished", field="status")
    if not outcome.strip():
        raise ServiceError("say what was done", field="outcome")
    todo.status = ToDoStatus.CANCELLED if cancelled else ToDoStatus.DONE
    todo.done_at, todo.done_by, todo.outcome = clock.now(), by, outcome.strip()
    todo.save(update_fields=["status", "done_at", "done_by", "outcome"])
    events.todo_done(todo=todo, by=by, via=via)
    return todo
