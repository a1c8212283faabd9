"""The events the to-dos app writes: one function per kind, its payload keys fixed here."""

from frontline.events.models import EventKind
from frontline.events.services import record


def todo_raised(*, todo, by=None, via: str = "") -> None:
    """data: todo_id, todo_kind, title."""
    record(
        EventKind.TODO_RAISED,
        actor=by,
        actor_label="system",
        via=via,
        case=todo.case,
        customer=todo.customer,
        todo_id=todo.pk,
        todo_kind=todo.kind,
        title=todo.title,
    )


def todo_done(*, todo, by, via: str) -> None:
    """data: todo_id, status (done or cancelled), outcome."""
    record(
        EventKind.TODO_DONE,
        actor=by,
        via=via,
        case=todo.case,
        customer=todo.customer,
        todo_id=todo.pk,
        status=todo.status,
        outcome=todo.outcome,
    )
