"""Incident and maintenance pages for staff; the public status page, its feeds and subscriptions."""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.cases.lookup import access_case
from frontline.core import clock, ratelimit
from frontline.core.db import text_id
from frontline.core.errors import Throttled
from frontline.incidents import maintenance, repeats, services, statuspage, subscriptions
from frontline.incidents.models import (
    ActionKind,
    ActionPriority,
    CauseClass,
    CorrectiveAction,
    Impact,
    Incident,
    IncidentState,
    Maintenance,
    MaintenanceImpact,
    MaintenanceStatus,
    Postmortem,
    VerificationKind,
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
        Component.objects.filter(
            pk__in=[i for i in request.POST.getlist("components") if text_id(i) is not None]
        )
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
    incident = get_object_or_404(Incident.objects.select_related("repeat_of"), pk=pk)
    ledger = services.ledger(incident)
    links = list(incident.case_links.select_related("case__customer", "linked_by").order_by("linked_at"))
    times = repeats.times_for_customers(incident, [link.case.customer_id for link in links])
    for link in links:  # "third time in 90 days for this customer"
        link.times = times.get(link.case.customer_id, 1)
        link.times_words = repeats.ordinal(link.times).capitalize()
    postmortem = Postmortem.objects.filter(incident=incident).first()
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "updates": incident.updates.select_related("posted_by", "fanout").defer("fanout__audience"),
            "links": links,
            "alerts": incident.alerts.order_by("-starts_at")[:50],
            "ledger": ledger,
            "earliness": services.earliness(incident),
            "evidence": services.assemble_evidence(incident),
            "exceptions": ledger.exceptions[:200],
            "states": IncidentState.choices,
            "can_run": request.agent.can(Capability.RUN_INCIDENTS),
            "postmortem": postmortem,
            "actions": postmortem.actions.select_related("owner").order_by("due_at") if postmortem else [],
            "cause_classes": CauseClass.choices,
            "action_kinds": ActionKind.choices,
            "priorities": ActionPriority.choices,
            "verification_kinds": VerificationKind.choices,
            "agents": Agent.objects.order_by("display_name"),
            "now": clock.now(),
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


@require_POST
@agent_required
def detach_case(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    case = access_case(request.agent, request.POST.get("case", "").strip())
    services.detach_case(incident, case, by=request.agent, reason=request.POST.get("reason", ""))
    messages.success(request, f"{case.ref} detached from {incident.ref}: it goes on by itself")
    back_to_case = request.POST.get("back") == "case"  # from the case page's panel
    return redirect(case.url if back_to_case else reverse("incidents:detail", args=[incident.pk]))


@require_POST
@agent_required
def write_postmortem(request, pk: int):
    require(request.agent, Capability.RUN_INCIDENTS)
    incident = get_object_or_404(Incident, pk=pk)
    postmortem = services.write_postmortem(
        incident,
        root_cause=request.POST.get("root_cause", ""),
        cause_class=request.POST.get("cause_class", ""),
        by=request.agent,
    )
    messages.success(request, f"Postmortem saved: {postmortem.customer_minutes_lost} customer-minutes lost")
    return redirect(reverse("incidents:detail", args=[incident.pk]) + "#postmortem")


@require_POST
@agent_required
def add_action(request, pk: int):
    require(request.agent, Capability.RUN_INCIDENTS)
    postmortem = get_object_or_404(Postmortem, incident_id=pk)
    owner_id = request.POST.get("owner", "")
    services.add_action(
        postmortem,
        kind=request.POST.get("kind", ""),
        description=request.POST.get("description", ""),
        owner=Agent.objects.filter(pk=owner_id).first() if text_id(owner_id) is not None else None,
        priority=request.POST.get("priority", ""),
        by=request.agent,
    )
    messages.success(request, "Corrective action added")
    return redirect(reverse("incidents:detail", args=[pk]) + "#postmortem")


@require_POST
@agent_required
def action_done(request, pk: int):
    action = get_object_or_404(CorrectiveAction.objects.select_related("postmortem"), pk=pk)
    services.complete_action(
        action,
        verification_kind=request.POST.get("verification_kind", ""),
        verification=request.POST.get("verification", ""),
        by=request.agent,
    )
    messages.success(request, "Corrective action done, with what shows it works")
    return redirect(reverse("incidents:detail", args=[action.postmortem.incident_id]) + "#postmortem")


@require_POST
@agent_required
def send_summary(request, pk: int):
    require(request.agent, Capability.RUN_INCIDENTS)
    postmortem = get_object_or_404(Postmortem, incident_id=pk)
    count = services.send_customer_summary(postmortem, body=request.POST.get("body", ""), by=request.agent)
    messages.success(request, f"Summary going to the {count} affected customers")
    return redirect(reverse("incidents:detail", args=[pk]) + "#postmortem")


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
        Component.objects.filter(
            pk__in=[i for i in request.POST.getlist("components") if text_id(i) is not None]
        )
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
