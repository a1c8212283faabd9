"""/healthz: the process answers. /readyz: it can work (database, cache and queue reachable), else 503
naming what is not. Both plain JSON, no session, never cached."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from frontline.operations.health import readiness


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
