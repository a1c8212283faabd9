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
]
