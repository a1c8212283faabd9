"""The agent workspace's case pages. Views parse, authorise, call a service and render; nothing more."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from frontline.agents.models import Agent, Capability, Skill
from frontline.cases import services
from frontline.cases.inbox import InboxFilter, inbox_page
from frontline.cases.models import Case, CaseStatus, Message
from frontline.customers.queries import customer_panel
from frontline.web.access import agent_required


def _inbox_filter(request) -> InboxFilter:
    return InboxFilter(
        mine=request.GET.get("who") == "mine",
        unassigned=request.GET.get("who") == "unassigned",
        status=request.GET.get("status", ""),
        topic=request.GET.get("topic", ""),
        query=request.GET.get("q", "")[:200],
    )


@require_GET
@agent_required
def inbox(request):
    flt = _inbox_filter(request)
    page = inbox_page(flt, agent=request.agent, after=request.GET.get("after") or None)
    context = {"page": page, "filter": flt, "query_string": _without_cursor(request)}
    if request.headers.get("HX-Request") and request.GET.get("after"):
        return render(request, "cases/_inbox_rows.html", context)
    context.update(statuses=CaseStatus.choices, topics=Skill.objects.order_by("name"))
    return render(request, "cases/inbox.html", context)


def _without_cursor(request) -> str:
    params = request.GET.copy()
    params.pop("after", None)
    return params.urlencode()


def _case_or_404(ref: str) -> Case:
    pk = Case.pk_from_ref(ref)
    if pk is None:
        raise Http404("no such case")
    return get_object_or_404(Case.objects.select_related("customer", "assignee", "topic", "requester"), pk=pk)


@require_GET
@agent_required
def case_detail(request, ref: str):
    case = _case_or_404(ref)
    events = list(case.events.select_related("actor").order_by("at", "pk"))
    by_id = {
        m.pk: m for m in Message.objects.filter(case=case).select_related("author_agent", "author_person")
    }
    timeline = [(event, by_id.get(event.data.get("message_id"))) for event in events]
    can_assign_others = request.agent.can(Capability.ASSIGN_OTHERS)
    context = {
        "case": case,
        "timeline": timeline,
        "panel": customer_panel(case.customer),
        "statuses": [(v, label) for v, label in CaseStatus.choices if v not in (case.status, CaseStatus.NEW)],
        "assignable": Agent.objects.order_by("display_name") if can_assign_others else [],
        "can_assign_others": can_assign_others,
    }
    return render(request, "cases/case.html", context)


@require_POST
@agent_required
def reply(request, ref: str):
    case = _case_or_404(ref)
    message = services.reply_to_case(case, agent=request.agent, body=request.POST.get("body", ""))
    if message.send_error:
        messages.error(request, f"The reply is saved on the case but could not be sent: {message.send_error}")
    else:
        messages.success(request, f"Reply sent to {message.recipients}.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def note(request, ref: str):
    case = _case_or_404(ref)
    services.add_internal_note(case, agent=request.agent, body=request.POST.get("body", ""))
    messages.success(request, "Note added.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def assign(request, ref: str):
    case = _case_or_404(ref)
    raw = request.POST.get("assignee", "")
    if raw == "me":
        assignee = request.agent
    elif raw == "":
        assignee = None
    else:
        assignee = get_object_or_404(Agent, pk=raw) if raw.isdigit() else None
        if assignee is None:
            raise Http404("no such agent")
    services.assign_case(case, assignee=assignee, by=request.agent)
    messages.success(request, f"Assigned to {assignee}." if assignee else "Unassigned.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def change_status(request, ref: str):
    case = _case_or_404(ref)
    case = services.change_status(
        case,
        status=request.POST.get("status", ""),
        by=request.agent,
        resolution_notes=request.POST.get("resolution_notes", ""),
    )
    messages.success(request, f"Status is now {case.get_status_display().lower()}.")
    return redirect("cases:detail", ref=case.ref)
