"""Fixing a contact where the problem is shown: the contact point's page has why it failed (every attempt to
it, the server's words) beside the forms that correct it, retire it or add another to the same owner. The
"Fix ..." to-do opens it; fixing it finishes the to-do (todos/receivers.py)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from frontline.customers import services as customers
from frontline.customers.models import ContactKind, ContactPoint
from frontline.delivery.models import DeliveryAttempt
from frontline.todos.models import ToDo, ToDoStatus
from frontline.web.access import agent_required


@require_GET
@agent_required
def contact(request, pk: int):
    point = get_object_or_404(ContactPoint.objects.select_related("person", "customer"), pk=pk)
    context = {
        "point": point,
        "account": customers.owner_account(point),
        "attempts": DeliveryAttempt.objects.filter(contact_point=point).order_by("-attempted_at", "-pk")[:20],
        "todos": ToDo.objects.filter(contact_point=point, status=ToDoStatus.OPEN).order_by("pk"),
        "kinds": ContactKind.choices,
    }
    return render(request, "notifications/contact.html", context)


@require_POST
@agent_required
def correct(request, pk: int):
    point = get_object_or_404(ContactPoint, pk=pk)
    new = customers.correct_contact_point(
        point, value=request.POST.get("value", ""), by=request.agent, via="web"
    )
    messages.success(
        request, f"{point.value} is retired; {new.value} takes its place and was asked to confirm."
    )
    return redirect("notifications:contact", pk=new.pk)


@require_POST
@agent_required
def retire(request, pk: int):
    point = get_object_or_404(ContactPoint, pk=pk)
    customers.retire_contact_point(point, by=request.agent, via="web")
    messages.success(request, f"Nothing will be sent to {point.value} again.")
    return redirect("notifications:contact", pk=point.pk)


@require_POST
@agent_required
def add_beside(request, pk: int):
    """Another way to reach the same owner: the failing one may stay (its owner will say)."""
    point = get_object_or_404(ContactPoint, pk=pk)
    new = customers.add_contact_point(
        kind=request.POST.get("kind", ""),
        value=request.POST.get("value", ""),
        label=request.POST.get("label", ""),
        person=point.person,
        customer=point.customer,
        ask_to_verify=True,
        by=request.agent,
        via="web",
    )
    messages.success(request, f"Added {new.value}; it was asked to confirm.")
    return redirect("notifications:contact", pk=new.pk)
