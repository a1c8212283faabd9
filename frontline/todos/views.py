"""The staff's to-do list: contacts to fix, customers to call back, soonest due first."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from frontline.customers.queries import working_channel_flags
from frontline.todos import services
from frontline.todos.models import ToDo, ToDoStatus
from frontline.web.access import agent_required, back_to


@require_GET
@agent_required
def todo_list(request):
    todos = (
        ToDo.objects.filter(status=ToDoStatus.OPEN)
        .select_related("customer", "case", "contact_point", "assignee")
        .order_by("due_at", "pk")[:300]
    )
    todos = list(todos)
    flags = working_channel_flags(list({t.customer_id for t in todos if t.customer_id}))
    for todo in todos:
        todo.customer_unreachable = not flags.get(todo.customer_id, True)
    return render(request, "todos/list.html", {"todos": todos})


@require_POST
@agent_required
def finish(request, pk: int):
    todo = get_object_or_404(ToDo, pk=pk)
    services.finish_todo(
        todo,
        by=request.agent,
        outcome=request.POST.get("outcome", ""),
        cancelled=request.POST.get("cancelled") == "yes",
    )
    messages.success(request, f"Done: {todo.title}")
    return redirect(back_to(request, default=reverse("todos:list")))
