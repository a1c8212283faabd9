from django.contrib import admin
from django.urls import include, path

from frontline.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("frontline.web.urls")),
    path("", include("frontline.customers.urls")),
    path("", include("frontline.cases.urls")),
    path("", include("frontline.intake.urls")),
    path("", include("frontline.todos.urls")),
    path("", include("frontline.saved_replies.urls")),
    path("", include("frontline.notifications.urls")),
    path("", include("frontline.policy.urls")),
    path("", include("frontline.monitoring.urls")),
    path("", include("frontline.incidents.urls")),
    path("", include("frontline.correlation.urls")),
    path("", include("frontline.portal.urls")),
    path("", include("frontline.measures.urls")),
    path("", include("frontline.operations.urls")),
]

# Under /api/ a path that does not exist answers JSON like the rest of the API; elsewhere, the page.
handler404 = "frontline.web.views.not_found"
