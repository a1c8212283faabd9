from django.urls import path

from frontline.measures import views

app_name = "measures"
urlpatterns = [
    path("measures/", views.page, name="page"),
    path("measures/<str:measure>.csv", views.chart_data, name="chart_data"),
    path("measures/baseline", views.set_baseline, name="baseline"),
    path("measures/improvements/open", views.open_improvement, name="open_improvement"),
    path("measures/improvements/<int:improvement_id>/", views.improvement, name="improvement"),
    path(
        "measures/improvements/<int:improvement_id>/done", views.finish_improvement, name="finish_improvement"
    ),
    path("measures/rules/save", views.save_rule, name="save_rule"),
    path("cases/<str:ref>/contacts/<int:message_id>/demand", views.correct, name="correct"),
    path("customers/<int:customer_id>/history/", views.customer_history, name="customer"),
]
