from django.urls import path

from frontline.correlation import views

app_name = "correlation"
urlpatterns = [
    path("correlation/", views.correlation_page, name="page"),
    path("correlation/rules", views.save_rule, name="save_rule"),
    path("correlation/proposals/<int:pk>/decide", views.decide, name="decide"),
]
