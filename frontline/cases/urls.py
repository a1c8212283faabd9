from django.urls import path

from frontline.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("cases/<str:ref>/", views.case_detail, name="detail"),
    path("cases/<str:ref>/reply", views.reply, name="reply"),
    path("cases/<str:ref>/note", views.note, name="note"),
    path("cases/<str:ref>/assign", views.assign, name="assign"),
    path("cases/<str:ref>/status", views.change_status, name="status"),
    path("cases/<str:ref>/merge", views.merge, name="merge"),
    path("cases/<str:ref>/vouch", views.vouch, name="vouch"),
    path("cases/<str:ref>/messages/<int:message_pk>/split", views.split, name="split"),
    path("cases/<str:ref>/call", views.log_call, name="call"),
    path("cases/<str:ref>/callback", views.promise_callback, name="callback"),
    path("cases/<str:ref>/attachments/<int:pk>", views.attachment, name="attachment"),
    path("cases/<str:ref>/priority-override", views.override_priority, name="override"),
    path("cases/<str:ref>/topic", views.set_topic, name="topic"),
    path("cases/<str:ref>/units", views.attach_units, name="attach_units"),
    path("cases/<str:ref>/units/<int:unit_pk>/remove", views.detach_unit, name="detach_unit"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
]
