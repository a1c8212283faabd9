from django.urls import path

from frontline.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("monitoring/hooks/<slug:source>/", views.hook, name="hook"),
    path("monitoring/", views.monitoring_page, name="page"),
    path("monitoring/matchers", views.save_matcher, name="save_matcher"),
]
