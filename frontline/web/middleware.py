"""Service refusals become clear answers on pages: 403 for a role that may not, 400 for bad input."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation

from frontline.core import jsonbody
from frontline.core.errors import NotAllowed, ServiceError


class ServiceErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotAllowed):
            return render(
                request, "web/error.html", {"title": "Not allowed", "message": str(exception)}, status=403
            )
        if isinstance(exception, ServiceError):
            return render(
                request,
                "web/error.html",
                {"title": "Cannot do that", "message": exception.message},
                status=400,
            )
        return None


class RefuseNulCharacters:
    """A NUL character in any parameter or JSON body is refused with a 400, before any view runs.

    PostgreSQL cannot store NUL in text and raises deep inside a query; SQLite stores it silently. Django's
    forms refuse it (ProhibitNullCharactersValidator), but query parameters and the API bypass forms.
    """

    MESSAGE = "NUL characters (\\u0000) are not allowed in text"
    # Channel intake stores the raw body first and cleans what it reads itself: refusing here would lose it.
    RAW_FIRST_PATHS = ("/api/v1/messages", "/chat/", "/contact/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(self.RAW_FIRST_PATHS) and self._has_nul(request):
            return refuse(request, self.MESSAGE)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        for params in (request.GET, request.POST if request.method == "POST" else {}):
            if any("\x00" in key or any("\x00" in value for value in params.getlist(key)) for key in params):
                return True
        if request.content_type == "application/json" and b"u0000" in request.body:
            try:  # bounded: this runs before authentication, on anyone's body
                return _contains_nul(jsonbody.loads(request.body))
            except jsonbody.BadJson:
                return False  # not JSON we read: the API says so itself, with a 400
        return False


def _contains_nul(value) -> bool:
    """Depth is bounded by jsonbody, so the recursion is too."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


def refuse(request, message: str, status: int = 400):
    """A refusal in the form the client reads: JSON under /api/, a page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "web/error.html", {"title": "Cannot do that", "message": message}, status=status)


class ContentSecurityPolicy:
    """Every response says where its page may load things from: scripts and styles only from our own static
    files (none inline, no CDN), images from us (a customer's remote images only after "load images"), and no
    framing except the chat widget's. A view sets its own header when it needs another policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        return response


def content_security_policy(*, frame_ancestors: str = "'none'", images: str = "'self' data:") -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


class OneRequestsLanguage:
    """The portal speaks the visitor's language (translation.activate); the next request this thread serves,
    a staff page perhaps, must not inherit it. Django keeps the active language per thread until changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            translation.deactivate()
