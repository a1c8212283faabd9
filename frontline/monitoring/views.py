"""The monitoring webhook (a source's secret is its key) and the workspace's Monitoring page."""

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from frontline.agents.models import Capability, Skill
from frontline.agents.services import require
from frontline.core.db import text_id
from frontline.core.errors import ServiceError
from frontline.monitoring import services
from frontline.monitoring.models import Alert, AlertPost, AlertStatus, Component, Health, LooksUp, Matcher
from frontline.web.access import agent_required


@csrf_exempt
@require_POST
def hook(request, source: str):
    """Alertmanager's webhook_config, or any system posting JSON: answered at once, read by a worker.
    Unauthenticated: 401 and nothing kept. Unreadable: 400 with the reason, and kept. Never a 5xx for a body,
    since Alertmanager posts again after every 5xx."""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.FRONTLINE_MAX_JSON_BYTES:
        return JsonResponse(
            {"detail": f"the body is larger than {settings.FRONTLINE_MAX_JSON_BYTES:,} bytes"}, status=413
        )
    try:
        body = request.body
    except RawPostDataException:  # a form post, already read as a form by a middleware: not JSON
        body = None
    try:
        found = services.authenticate(
            source,
            authorization=request.headers.get("Authorization", ""),
            signature=request.headers.get("X-Frontline-Signature", ""),
            body=body or b"",
        )
    except services.NotAuthenticated:
        return JsonResponse(
            {
                "detail": "authenticate with 'Authorization: Bearer <secret>' or 'X-Frontline-Signature: "
                "sha256=<HMAC-SHA256 of the body>' for a known source"
            },
            status=401,
        )
    if body is None:
        return JsonResponse(
            {"detail": "send the alerts as JSON (Content-Type: application/json)"}, status=415
        )
    try:
        post = services.receive(found, body)
    except ServiceError as exc:
        return JsonResponse({"detail": exc.message}, status=400)
    return JsonResponse({"stored_as": post.pk, "status": post.status}, status=202)


@require_GET
@agent_required
def monitoring_page(request):
    return render(
        request,
        "monitoring/page.html",
        {
            "matchers": Matcher.objects.select_related("topic"),
            "components": Component.objects.order_by("group", "name"),
            "firing": Alert.objects.filter(status=AlertStatus.FIRING)
            .select_related("source", "matcher")
            .prefetch_related("units__customer", "components")
            .order_by("-starts_at")[:100],
            "unmapped": Alert.objects.filter(matcher=None).order_by("-last_seen_at")[:50],
            "refused": AlertPost.objects.filter(status="refused").order_by("-pk")[:20],
            "looks_up": LooksUp.choices,
            "healths": [c for c in Health.choices if c[0] != Health.OK],
            "can_edit": request.agent.can(Capability.RUN_INCIDENTS),
            "skills": Skill.objects.order_by("name"),
        },
    )


@require_POST
@agent_required
def save_matcher(request):
    require(request.agent, Capability.RUN_INCIDENTS)
    pk = request.POST.get("matcher", "")
    matcher = get_object_or_404(Matcher, pk=pk) if text_id(pk) is not None else None
    try:
        position = int(request.POST.get("position") or 100)
    except ValueError:
        position = -1
    try:
        saved = services.save_matcher(
            matcher,
            label=request.POST.get("label", ""),
            looks_up=request.POST.get("looks_up", ""),
            alertname=request.POST.get("alertname", ""),
            health=request.POST.get("health", Health.DOWN),
            position=position,
            is_active=request.POST.get("is_active", "yes") == "yes",
            topic=request.POST.get("topic", ""),
            by=request.agent,
        )
    except ServiceError as exc:
        messages.error(request, f"Not saved: {exc.message}")
    else:
        messages.success(request, f"Matcher saved: {saved}")
    return redirect(reverse("monitoring:page"))
