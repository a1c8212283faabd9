from django.urls import path

from frontline.incidents import views

app_name = "incidents"
urlpatterns = [
    path("incidents/", views.incident_list, name="list"),
    path("incidents/open", views.open_incident, name="open"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path("incidents/<int:pk>/update", views.post_update, name="update"),
    path("incidents/<int:pk>/link", views.link_case, name="link"),
    path("incidents/<int:pk>/detach", views.detach_case, name="detach"),
    path("incidents/<int:pk>/postmortem", views.write_postmortem, name="postmortem"),
    path("incidents/<int:pk>/actions", views.add_action, name="add_action"),
    path("incidents/actions/<int:pk>/done", views.action_done, name="action_done"),
    path("incidents/<int:pk>/summary", views.send_summary, name="summary"),
    path("maintenance/", views.maintenance_list, name="maintenance_list"),
    path("maintenance/schedule", views.schedule_maintenance, name="maintenance_schedule"),
    path("maintenance/<int:pk>/cancel", views.cancel_maintenance, name="maintenance_cancel"),
    path("status/", views.status_page, name="status"),
    path("status/feed.atom", views.status_atom, name="status_atom"),
    path("status/feed.rss", views.status_rss, name="status_rss"),
    path("status/feed.json", views.status_json, name="status_json"),
    path("status/subscribe", views.subscribe, name="subscribe"),
    path(
        "status/subscriptions/confirm/<str:token>/", views.confirm_subscription, name="subscription_confirm"
    ),
    path("status/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
