"""The agent workspace's case pages. Views parse, authorise, call a service and render; nothing more."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontline.agents.models import Agent, Capability, Skill
from frontline.cases import clocks, confirmation, priority, replies, services
from frontline.cases.inbox import InboxFilter, inbox_page
from frontline.cases.inbox_rows import inbox_row
from frontline.cases.lookup import access_case
from frontline.cases.models import Attachment, Case, CaseStatus, Message
from frontline.cases.panels import panels_for
from frontline.core import clock, links
from frontline.core.db import digits, text_id
from frontline.core.errors import ServiceError
from frontline.customers.models import ServiceUnit
from frontline.customers.queries import customer_panel, working_channel_flags
from frontline.intake import public
from frontline.routing import services as routing
from frontline.web.access import agent_required
from frontline.web.files import attachment_response
from frontline.web.forms import typed_time
from frontline.web.middleware import content_security_policy


def _inbox_filter(request) -> InboxFilter:
    return InboxFilter(
        mine=request.GET.get("who") == "mine",
        unassigned=request.GET.get("who") == "unassigned",
        triage=request.GET.get("who") == "triage",
        status=request.GET.get("status", ""),
        topic=request.GET.get("topic", ""),
        query=request.GET.get("q", "")[:200],
    )


@require_GET
@agent_required
def inbox(request):
    flt = _inbox_filter(request)
    page = inbox_page(flt, agent=request.agent, after=request.GET.get("after") or None, rows_only=True)
    mark_unreachable(page.items)
    rows = [inbox_row(case) for case in page.items]
    context = {"page": page, "rows": rows, "filter": flt, "query_string": _without_cursor(request)}
    if request.headers.get("HX-Request") and (request.GET.get("after") or request.GET.get("refresh")):
        return render(request, "cases/_inbox_rows.html", context)
    context.update(statuses=CaseStatus.choices, topics=Skill.objects.order_by("name"))
    return render(request, "cases/inbox.html", context)


def mark_unreachable(cases) -> None:
    """Flag, on each row, a customer whose every contact point is failing: one query for the page."""
    flags = working_channel_flags(list({case.customer_id for case in cases}))
    for case in cases:
        case.customer_unreachable = not flags.get(case.customer_id, True)


def _without_cursor(request) -> str:
    params = request.GET.copy()
    params.pop("after", None)
    params.pop("refresh", None)
    return params.urlencode()


def _case_or_404(request, ref: str) -> Case:
    return access_case(request.agent, ref)


@require_GET
@agent_required
def case_detail(request, ref: str):
    return _case_page(request, _case_or_404(request, ref))


def message_timeline(events, messages_by_id: dict) -> list[tuple]:
    """(event, its message or None, the later events about that message): a message shows once, at its
    first event, and what was said of it after (a chaser's failure demand) shows with it, not as a copy."""
    timeline, entry_of = [], {}
    for event in events:
        message = messages_by_id.get(event.data.get("message_id"))
        if message is not None and message.pk in entry_of:
            entry_of[message.pk][2].append(event)
            continue
        entry = (event, message, [])
        if message is not None:
            entry_of[message.pk] = entry
        timeline.append(entry)
    return timeline


def _case_page(request, case: Case, **extra):
    # The stored score orders the inbox and is rewritten when it moves a point; the page shows it exact.
    case.priority, case.priority_explanation = priority.compute_for(case)
    events = list(case.events.select_related("actor").order_by("at", "pk"))
    by_id = {
        m.pk: m
        for m in Message.objects.filter(case=case)
        .select_related("author_agent", "author_person")
        .prefetch_related("attachments", "delivery_attempts")
    }
    timeline = message_timeline(events, by_id)
    can_assign_others = request.agent.can(Capability.ASSIGN_OTHERS)
    context = {
        "case": case,
        "timeline": timeline,
        "panel": customer_panel(case.customer),
        "statuses": [(v, label) for v, label in CaseStatus.choices if v not in (case.status, CaseStatus.NEW)],
        "assignable": Agent.objects.order_by("display_name") if can_assign_others else [],
        "can_assign_others": can_assign_others,
        "todos": case.todos.filter(status="open").order_by("due_at", "pk"),
        "units": list(case.affected_units.order_by("name")),
        "merged_cases": case.merged_cases.order_by("pk"),
        "now": clock.now(),
        "clocks": clocks.case_clocks(case),
        "similar": routing.similar_cases(case),
        "skills": Skill.objects.order_by("name"),
        "override_active": case.priority_override_until and case.priority_override_until > clock.now(),
        "panels": panels_for(request, case),  # what other apps show here (FRONTLINE_CASE_PANELS)
        # One message's remote images, when a person asked for them ("load images"): a tracking pixel
        # reaches nobody's browser unasked.
        "images_of": request.GET.get("images", ""),
        **extra,
    }
    response = render(request, "cases/case.html", context)
    if context["images_of"]:
        response["Content-Security-Policy"] = content_security_policy(images="'self' data: https: http:")
    return response


@require_POST
@agent_required
def override_priority(request, ref: str):
    case = _case_or_404(request, ref)
    services.override_priority(
        case,
        by=request.agent,
        points=_number(request.POST.get("points"), "points"),
        hours=_number(request.POST.get("hours"), "hours"),
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, "Priority adjusted; the reason shows in its explanation.")
    return redirect("cases:detail", ref=case.ref)


def _number(raw, field: str) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ServiceError(f"{field} must be a number", field=field) from None


@require_POST
@agent_required
def set_topic(request, ref: str):
    case = _case_or_404(request, ref)
    topic = Skill.objects.filter(slug=request.POST.get("topic", "")).first()
    if topic is None:
        raise ServiceError("choose a topic", field="topic")
    routing.set_topic(case, topic=topic, by=request.agent, reroute=request.POST.get("reroute") == "on")
    messages.success(request, f"Topic set to {topic.name}.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def attach_units(request, ref: str):
    case = _case_or_404(request, ref)
    wanted = [raw for raw in request.POST.getlist("unit") if text_id(raw) is not None][:500]
    units = list(ServiceUnit.objects.filter(pk__in=wanted, customer_id=case.customer_id))
    services.attach_units(case, units, by=request.agent, reason=request.POST.get("reason", ""))
    messages.success(request, f"Attached {', '.join(u.name for u in units)}.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def detach_unit(request, ref: str, unit_pk: int):
    case = _case_or_404(request, ref)
    unit = get_object_or_404(ServiceUnit, pk=unit_pk)
    services.detach_unit(case, unit, by=request.agent)
    messages.success(request, f"{unit.name} is no longer attached to {case.ref}.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def reply(request, ref: str):
    case = _case_or_404(request, ref)
    body = request.POST.get("body", "")
    try:
        message = services.reply_to_case(
            case,
            by=request.agent,
            body=body,
            confirmed=request.POST.get("confirmed") == "on",
            origin=request.POST.get("origin", "").strip(),
        )
    except replies.NeedsConfirmation as held:  # the form again, with what we already hold
        return _case_page(
            request,
            case,
            reply_cautions=held.cautions,
            reply_draft=body,
            reply_origin=request.POST.get("origin", ""),
        )
    if message.send_error:
        messages.error(request, f"The reply is saved on the case but could not be sent: {message.send_error}")
    else:
        messages.success(request, f"Reply sent to {message.recipients}.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def note(request, ref: str):
    case = _case_or_404(request, ref)
    services.add_internal_note(case, by=request.agent, body=request.POST.get("body", ""))
    messages.success(request, "Note added.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def assign(request, ref: str):
    case = _case_or_404(request, ref)
    raw = request.POST.get("assignee", "")
    if raw == "me":
        assignee = request.agent
    elif raw == "":
        assignee = None
    else:
        assignee = get_object_or_404(Agent, pk=raw) if text_id(raw) is not None else None
        if assignee is None:
            raise Http404("no such agent")
    services.assign_case(case, assignee=assignee, by=request.agent)
    messages.success(request, f"Assigned to {assignee}." if assignee else "Unassigned.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def change_status(request, ref: str):
    case = _case_or_404(request, ref)
    case = services.change_status(
        case,
        status=request.POST.get("status", ""),
        by=request.agent,
        resolution_notes=request.POST.get("resolution_notes", ""),
    )
    messages.success(request, f"Status is now {case.get_status_display().lower()}.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def split(request, ref: str, message_pk: int):
    case = _case_or_404(request, ref)
    message = get_object_or_404(Message, pk=message_pk, case=case)
    new = services.split_message(message, by=request.agent)
    messages.success(request, f"The message is now a case of its own: {new.ref}.")
    return redirect("cases:detail", ref=new.ref)


@require_POST
@agent_required
def merge(request, ref: str):
    """Fold this case into the one named: its messages move there and later replies follow."""
    case = _case_or_404(request, ref)
    target = _case_or_404(request, request.POST.get("into", ""))
    target = services.merge_cases(case, into=target, by=request.agent, reason=request.POST.get("reason", ""))
    messages.success(request, f"{case.ref} is merged into {target.ref}.")
    return redirect("cases:detail", ref=target.ref)


@require_POST
@agent_required
def vouch(request, ref: str):
    """A person says the unproven sender is who they claim, and how they know: it is shown as such."""
    case = services.prove_identity(
        _case_or_404(request, ref), how="vouched for", by=request.agent, reason=request.POST.get("reason", "")
    )
    messages.success(request, f"You vouched for the sender of {case.ref}.")
    return redirect("cases:detail", ref=case.ref)


def _minutes(request) -> int:
    raw = request.POST.get("minutes", "0").strip() or "0"
    if not digits(raw.replace(".", "", 1)) or len(raw) > 12:
        raise ServiceError("the call's length is a number of minutes", field="minutes")
    return int(float(raw) * 60)


@require_POST
@agent_required
def log_call(request, ref: str):
    """A call, either way: from the customer (a contact, through intake) or ours to them."""

    case = _case_or_404(request, ref)
    summary, number = request.POST.get("summary", ""), request.POST.get("number", "")
    if request.POST.get("direction") == "out":
        services.log_outbound_call(
            case,
            by=request.agent,
            number=number,
            summary=summary,
            duration_seconds=_minutes(request),
            reached=request.POST.get("reached", "yes") == "yes",
        )
    else:
        public.log_phone_call(
            by=request.agent,
            customer=case.customer,
            caller=number,
            summary=summary,
            duration_seconds=_minutes(request),
            case=case,
        )
    messages.success(request, "Call logged.")
    return redirect("cases:detail", ref=case.ref)


@require_POST
@agent_required
def promise_callback(request, ref: str):
    case = _case_or_404(request, ref)
    due = typed_time(
        request.POST.get("due_at", ""), field="due_at", message="give the time we promised to call by"
    )
    services.promise_callback(case, by=request.agent, due_at=due, number=request.POST.get("number", ""))
    messages.success(request, f"Callback promised by {due:%Y-%m-%d %H:%M} UTC; it is on the to-do list.")
    return redirect("cases:detail", ref=case.ref)


@require_GET
@agent_required
def attachment(request, ref: str, pk: int):
    case = _case_or_404(request, ref)
    return attachment_response(request, get_object_or_404(Attachment, pk=pk, message__case=case))


@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """The customer's "is it fixed?" page behind a signed link: GET shows it and changes nothing (mail
    scanners follow links); the POST of a button answers."""
    try:
        case = confirmation.case_for_link(token)
    except ServiceError as exc:
        return render(
            request, "web/error.html", {"title": "Link not valid", "message": exc.message}, status=400
        )
    answered = ""
    if request.method == "POST":
        answer = request.POST.get("answer", "")
        case = confirmation.confirm_fix(case, answer=answer, words=request.POST.get("words", ""))
        answered = answer
    landing = links.landing(request, case.customer, [("case", case.pk)])
    return render(request, "cases/confirm.html", {"case": case, "answered": answered, "landing": landing})
