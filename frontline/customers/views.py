"""Customer lookup for agents taking calls, and the customer page."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from frontline.cases.models import Case
from frontline.customers.models import Customer
from frontline.customers.queries import customer_panel, working_channel_flags
from frontline.customers.services import find_customers
from frontline.web.access import agent_required


@require_GET
@agent_required
def lookup(request):
    query = request.GET.get("q", "")[:200]
    customers = list(find_customers(query)) if query else []
    flags = working_channel_flags([c.pk for c in customers])
    results = [(customer, flags[customer.pk]) for customer in customers]
    return render(request, "customers/lookup.html", {"query": query, "results": results})


@require_GET
@agent_required
def customer_detail(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    cases = (
        Case.objects.filter(customer=customer)
        .select_related("assignee", "topic")
        .order_by("-created_at")[:50]
    )
    return render(request, "customers/customer.html", {"panel": customer_panel(customer), "cases": cases})
