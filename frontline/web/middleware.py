"""Service refusals become clear answers on pages: 403 for a role that may not, 400 for bad input."""

import json

from django.http import JsonResponse
from django.shortcuts import render

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
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": self.MESSAGE}, status=400)
            return render(
                request, "web/error.html", {"title": "Cannot do that", "message": self.MESSAGE}, status=400
            )
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        for params in (request.GET, request.POST if request.method == "POST" else {}):
            if any("\x00" in key or any("\x00" in value for value in params.getlist(key)) for key in params):
                return True
        if request.content_type == "application/json" and b"u0000" in request.body:
            try:
                return _contains_nul(json.loads(request.body))
            except ValueError:
                return False  # not JSON: the API says so itself
        return False


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False
