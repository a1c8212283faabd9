"""What finishes a to-do without a person pressing Done: the contact it asked to fix was fixed."""

from django.dispatch import receiver

from frontline.customers import signals
from frontline.todos import services
from frontline.todos.models import ToDo, ToDoKind, ToDoStatus


@receiver(signals.contact_settled, dispatch_uid="todos.contact_settled")
def contact_settled(sender, point, outcome: str, by, **kwargs) -> None:
    for todo in ToDo.objects.filter(kind=ToDoKind.FIX_CONTACT, contact_point=point, status=ToDoStatus.OPEN):
        services.finish_todo(todo, by=by, outcome=f"{point.value} {outcome}", via="contact")
