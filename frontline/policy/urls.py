from django.urls import path

from frontline.policy import views

app_name = "policy"
urlpatterns = [
    path("policy/rules/", views.rules, name="rules"),
    path("policy/rules/save", views.save_rule, name="save_rule"),
    path("policy/decisions/<int:pk>/override", views.override, name="override"),
    path("policy/decisions/<int:pk>/widen", views.widen, name="widen"),
    path("policy/decisions/<int:pk>/decide", views.decide, name="decide"),
    path("policy/decisions/<int:pk>/end", views.end, name="end"),
    path("policy/overrides/<int:pk>/reverse", views.reverse, name="reverse"),
    path("policy/goodwill", views.goodwill, name="goodwill"),
]
