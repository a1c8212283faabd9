from django.urls import path

from frontline.intake import views

app_name = "intake"
urlpatterns = [
    path("contact/", views.contact_form, name="contact"),
    path("contact/confirm/<str:token>/", views.contact_confirm, name="contact_confirm"),
    path("chat/", views.chat_widget, name="chat"),
    path("chat/start", views.chat_start, name="chat_start"),
    path("chat/confirm/<str:token>/", views.chat_confirm, name="chat_confirm"),
    path("chat/<str:token>/messages", views.chat_messages, name="chat_messages"),
    path("intake/quarantine/", views.quarantine, name="quarantine"),
    path("cases/<str:ref>/match-sender", views.match_sender, name="match_sender"),
    path("intake/raw/<int:pk>/", views.raw_source, name="raw"),
    path("intake/raw/<int:pk>/reprocess", views.reprocess, name="reprocess"),
]
