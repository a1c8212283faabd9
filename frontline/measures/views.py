"""The measures pages: the provider's (or a topic's, team's, agent's, tier's or customer's) outcomes for
customers as XmR charts with tables and CSV; a customer's history; a contact's class corrected on the case;
the demand rules, baselines and improvements opened from signals."""

import datetime

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from frontline.agents.models import Agent, Capability, Skill, Team
from frontline.agents.services import require
from frontline.cases.lookup import access_case
from frontline.cases.models import Message
from frontline.core.db import digits, text_id
from frontline.core.errors import ServiceError
from frontline.customers.models import Customer, Tier
from frontline.measures import board, figures, learned, services
from frontline.measures.charts import rows_csv
from frontline.measures.models import DemandRule, FailureType, Improvement, Problem, WordsModel
from frontline.measures.refresh import refreshed_at
from frontline.web.access import agent_required

WEEKS = (13, 26, 52)


def _slice(params) -> figures.Slice:
    """The slice a page's query (or a form that carries it) names; a 404 for one that does not exist."""
    by, value = params.get("by", ""), params.get("value", "")[:120]
    try:
        return figures.Slice(by, value) if by else figures.Slice()
    except ValueError as exc:
        raise Http404(str(exc)) from exc


def _weeks(params) -> int:
    given = params.get("weeks", "")
    return int(given) if digits(given) and len(given) < 4 and int(given) in WEEKS else board.DEFAULT_WEEKS


@require_GET
@agent_required
def page(request):
    where, weeks = _slice(request.GET), _weeks(request.GET)
    since = board.since_weeks(weeks)
    context = {
        "where": where,
        "title": where.title(),
        "weeks": weeks,
        "week_choices": WEEKS,
        "since": since,
        "summary": figures.summary(where, since),
        "charts": board.board(where, since),
        "provider": figures.provider_figures(since) if not where.by else None,
        "topics": Skill.objects.order_by("name"),
        "teams": Team.objects.order_by("name"),
        "agents": Agent.objects.filter(user__is_active=True).order_by("display_name"),
        "tiers": Tier.choices,
        "rules": DemandRule.objects.order_by("position", "pk"),
        "agreement": figures.rules_agreement(),
        "words_model": WordsModel.objects.order_by("-pk").defer("blob").first(),
        "words_threshold": learned.THRESHOLD,
        "failure_types": FailureType.choices,
        "improvements": Improvement.objects.order_by("-opened_at")[:10],
        "can_lead": request.agent.can(Capability.ASSIGN_OTHERS),
        "refreshed_at": refreshed_at(),
        "query": request.GET.urlencode(),
    }
    return render(request, "measures/page.html", context)


@require_GET
@agent_required
def chart_data(request, measure: str):
    where, weeks = _slice(request.GET), _weeks(request.GET)
    if measure not in figures.MEASURES:
        raise Http404("no such measure")
    drawn = board.draw(measure, where, board.since_weeks(weeks))
    response = HttpResponse(rows_csv(drawn.rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{measure}-{where.key.replace("=", "-")}.csv"'
    return response


def _week(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise ServiceError("a week is a date: 2026-11-02", field="week") from exc


def _back(request) -> str:
    query = request.POST.get("query", "")[:500]
    return reverse("measures:page") + (f"?{query}" if query else "")


@require_POST
@agent_required
def set_baseline(request):
    try:
        services.set_baseline(
            chart=request.POST.get("chart", ""),
            first_week=_week(request.POST.get("first_week", "")),
            last_week=_week(request.POST.get("last_week", "")),
            explanation=request.POST.get("explanation", ""),
            by=request.agent,
        )
        messages.success(request, "Limits recomputed from the chosen weeks.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(_back(request))


@require_POST
@agent_required
def open_improvement(request):
    require(request.agent, Capability.ASSIGN_OTHERS)  # before the chart is drawn for it
    where, weeks = _slice(request.POST), _weeks(request.POST)  # the chart the lead was looking at
    measure = request.POST.get("measure", "")
    if measure not in figures.MEASURES:
        raise Http404("no such measure")
    drawn = board.draw(measure, where, board.since_weeks(weeks))
    try:
        if drawn.chart is None:
            raise ServiceError("this chart has too few weeks for limits", field="measure")
        improvement = services.open_improvement(
            chart_key=drawn.key,
            title=request.POST.get("title", ""),
            drawn=drawn.chart,
            week=_week(request.POST.get("week", "")),
            unit=drawn.unit,
            by=request.agent,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_back(request))
    return redirect("measures:improvement", improvement_id=improvement.pk)


@require_GET
@agent_required
def improvement(request, improvement_id: int):
    found = get_object_or_404(Improvement, pk=improvement_id)
    context = {"improvement": found, "can_lead": request.agent.can(Capability.ASSIGN_OTHERS)}
    return render(request, "measures/improvement.html", context)


@require_POST
@agent_required
def finish_improvement(request, improvement_id: int):
    require(request.agent, Capability.ASSIGN_OTHERS)  # before the lookup: a stranger learns nothing
    found = get_object_or_404(Improvement, pk=improvement_id)
    try:
        services.finish_improvement(found, notes=request.POST.get("notes", ""), by=request.agent)
        messages.success(request, "Improvement done.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("measures:improvement", improvement_id=found.pk)


@require_POST
@agent_required
def save_rule(request):
    rule = None
    if text_id(given := request.POST.get("id", "")) is not None:
        rule = get_object_or_404(DemandRule, pk=int(given))
    position = request.POST.get("position", "100")
    try:
        saved = services.save_rule(
            by=request.agent,
            name=request.POST.get("name", ""),
            condition=request.POST.get("condition", ""),
            failure_type=request.POST.get("failure_type", ""),
            position=int(position) if digits(position) and len(position) < 6 else -1,
            enabled=request.POST.get("enabled") == "on",
            rule=rule,
        )
        messages.success(request, f"Saved: {saved.name}")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("measures:page") + "#demand-rules")


@require_POST
@agent_required
def correct(request, ref: str, message_id: int):
    case = access_case(request.agent, ref, related=())
    message = get_object_or_404(Message, pk=message_id, case=case)
    try:
        services.correct_contact(
            message,
            failure_type=request.POST.get("failure_type", ""),
            reason=request.POST.get("reason", ""),
            by=request.agent,
        )
        messages.success(request, "Demand class corrected.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(case.url)


@require_GET
@agent_required
def customer_history(request, customer_id: int):
    customer = get_object_or_404(Customer, pk=customer_id)
    problems = list(
        Problem.objects.filter(customer=customer)
        .select_related("case", "topic")
        .order_by("-started_at")[:200]
    )
    context = {
        "customer": customer,
        "problems": problems,
        "summary": figures.summary(figures.Slice("customer", str(customer.pk)), datetime.date(1970, 1, 5)),
        "refreshed_at": refreshed_at(),
    }
    return render(request, "measures/customer.html", context)
