"""The workspace's own few views: what every other app's pages fall back on."""

from django.views.defaults import page_not_found

from frontline.web.middleware import refuse


def not_found(request, exception):
    """A JSON 404 under /api/ (clients parse what they get); Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return refuse(request, "no such endpoint: /api/v1/openapi.json lists the ones there are", status=404)
    return page_not_found(request, exception)
