"""Service refusals become clear answers on pages: 403 for a role that may not, 400 for bad input."""

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
