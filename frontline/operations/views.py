"""/healthz: the process answers. /readyz: it can work (database, cache and queue reachable), else 503
naming what is not. Both plain JSON, no session, never cached. /metrics: Prometheus's text format, for
the scraper holding the metrics token."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from frontline.operations.health import readiness
from frontline.operations.metrics import CONTENT_TYPE, exposition


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "alive"})


@never_cache
@require_GET
def readyz(request):
    checks = readiness()
    ready = all(check.ok for check in checks)
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {check.name: "ok" if check.ok else check.detail for check in checks},
    }
    return JsonResponse(body, status=200 if ready else 503)


@never_cache
@require_GET
def metrics(request):
    expected = settings.FRONTLINE_METRICS_TOKEN
    if not expected:
        return JsonResponse(
            {"detail": "metrics are off: set FRONTLINE_METRICS_TOKEN to turn them on"}, status=403
        )
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return JsonResponse(
            {"detail": "the metrics token is required: Authorization: Bearer <token>"}, status=401
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE)
