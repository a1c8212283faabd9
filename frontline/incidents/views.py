"""Incident and maintenance pages for staff; the public status page, its feeds and subscriptions."""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases.lookup import access_case
from frontline.core import ratelimit
from frontline.core.errors import Throttled
from frontline.incidents import maintenance, services, statuspage, subscriptions
from frontline.incidents.models import (
    Impact,
    Incident,
    IncidentState,
    Maintenance,
    MaintenanceImpact,
    MaintenanceStatus,
)
from frontline.monitoring.models import Component
from frontline.web.access import agent_required
from frontline.web.forms import typed_time

WHEN = "give a date and time (YYYY-MM-DD HH:MM, UTC)"

# ---------------------------------------------------------------- staff: incidents


@require_GET
@agent_required
def incident_list(request):
    return render(
        request,
        "incidents/list.html",
        {
            "open": Incident.objects.filter(state__in=IncidentState.open_values()).order_by("-started_at"),
            "recent": Incident.objects.filter(state=IncidentState.RESOLVED).order_by("-resolved_at")[:30],
            "components": Component.objects.order_by("group", "name"),
            "impacts": Impact.choices,
            "can_run": request.agent.can(Capability.RUN_INCIDENTS),
        },
    )


@require_POST
@agent_required
def open_incident(request):
    require(request.agent, Capability.RUN_INCIDENTS)
    components = list(
        Component.objects.filter(pk__in=[i for i in request.POST.getlist("components") if i.isdigit()])
    )
    incident = services.open_incident(
        title=request.POST.get("title", ""),
        components=components,
        impact=request.POST.get("impact", Impact.DOWN),
        body=request.POST.get("body", ""),
        by=request.agent,
    )
    messages.success(request, f"{incident.ref} opened; {incident.affected.count()} customers affected")
    return redirect(reverse("incidents:detail", args=[incident.pk]))


@require_GET
@agent_required
def incident_detail(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    ledger = services.ledger(incident)
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "updates": incident.updates.select_related("posted_by", "fanout"),
            "links": incident.case_links.select_related("case__customer").order_by("linked_at"),
            "alerts": incident.alerts.order_by("-starts_at")[:50],
            "ledger": ledger,
            "exceptions": ledger.exceptions[:200],
            "states": IncidentState.choices,
            "can_run": request.agent.can(Capability.RUN_INCIDENTS),
        },
    )


@require_POST
@agent_required
def post_update(request, pk: int):
    require(request.agent, Capability.RUN_INCIDENTS)
    incident = get_object_or_404(Incident, pk=pk)
    update = services.post_update(
        incident, state=request.POST.get("state", ""), body=request.POST.get("body", ""), by=request.agent
    )
    messages.success(request, f"Update posted: {update.notices} notices started")
    return redirect(reverse("incidents:detail", args=[incident.pk]))


@require_POST
@agent_required
def link_case(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    case = access_case(request.agent, request.POST.get("case", "").strip())
    services.link_case(incident, case, by=request.agent)
    messages.success(request, f"{case.ref} linked to {incident.ref}")
    return redirect(reverse("incidents:detail", args=[incident.pk]))


# ---------------------------------------------------------------- staff: maintenance


@require_GET
@agent_required
def maintenance_list(request):
    return render(
        request,
        "incidents/maintenance.html",
        {
            "upcoming": Maintenance.objects.filter(status__in=maintenance.ACTIVE).order_by("starts_at"),
            "past": Maintenance.objects.exclude(status__in=maintenance.ACTIVE).order_by("-starts_at")[:30],
            "components": Component.objects.order_by("group", "name"),
            "impacts": MaintenanceImpact.choices,
            "can_run": request.agent.can(Capability.RUN_INCIDENTS),
        },
    )


@require_POST
@agent_required
def schedule_maintenance(request):
    require(request.agent, Capability.RUN_INCIDENTS)
    components = list(
        Component.objects.filter(pk__in=[i for i in request.POST.getlist("components") if i.isdigit()])
    )
    m = services.schedule_maintenance(
        title=request.POST.get("title", ""),
        body=request.POST.get("body", ""),
        impact=request.POST.get("impact", ""),
        starts_at=typed_time(request.POST.get("starts_at"), field="starts_at", message=WHEN),
        ends_at=typed_time(request.POST.get("ends_at"), field="ends_at", message=WHEN),
        components=components,
        by=request.agent,
    )
    messages.success(request, f"{m.ref} announced to {m.reach.count()} customers")
    return redirect(reverse("incidents:maintenance_list"))


@require_POST
@agent_required
def cancel_maintenance(request, pk: int):
    require(request.agent, Capability.RUN_INCIDENTS)
    m = get_object_or_404(Maintenance, pk=pk)
    services.change_maintenance(m, status=MaintenanceStatus.CANCELLED, by=request.agent)
    messages.success(request, f"{m.ref} cancelled; everyone it reached is told")
    return redirect(reverse("incidents:maintenance_list"))


# ---------------------------------------------------------------- public: the status page and feeds


def _serve(request, rendered: statuspage.Rendered) -> HttpResponse:
    if rendered.etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(rendered.body, content_type=rendered.content_type)
    response["ETag"] = rendered.etag
    response["Cache-Control"] = f"public, max-age={statuspage.CACHE_SECONDS}"
    return response


@require_GET
def status_page(request):
    return _serve(request, statuspage.page())


@require_GET
def status_atom(request):
    return _serve(request, statuspage.atom())


@require_GET
def status_rss(request):
    return _serve(request, statuspage.rss())


@require_GET
def status_json(request):
    return _serve(request, statuspage.json_feed())


# The form sits on the shared, cached status page, which carries no per-visitor CSRF token; a forged post
# can do no more than have a confirmation link mailed, within the per-address hourly limit.
@csrf_exempt
@require_POST
def subscribe(request):
    """The same answer whether or not the address is known, confirmed or new."""
    if ratelimit.hits(f"rate:subscribe:{ratelimit.client_address(request)}", window_seconds=600) > 10:
        raise Throttled("too many subscriptions from your address; try again in ten minutes")
    subscriptions.subscribe(
        kind=request.POST.get("kind", "email"),
        address=request.POST.get("address", ""),
        component_ids=request.POST.getlist("components"),
    )
    return render(request, "incidents/subscribed.html", {"asked": True})


@require_http_methods(["GET", "POST"])
def confirm_subscription(request, token: str):
    subscription = subscriptions.subscription_for(token)
    if request.method == "POST":
        subscriptions.confirm(subscription)
    return render(request, "incidents/subscribed.html", {"subscription": subscription, "confirming": True})


@csrf_exempt  # RFC 8058: the mail client posts "List-Unsubscribe=One-Click" with no session or token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    subscription = subscriptions.subscription_for(token, unsubscribing=True)
    if request.method == "POST":
        subscriptions.unsubscribe(subscription)
    return render(request, "incidents/subscribed.html", {"subscription": subscription, "unsubscribing": True})
