from django.urls import path

from frontline.saved_replies import views

app_name = "saved_replies"
urlpatterns = [
    path("replies/", views.reply_list, name="list"),
    path("replies/save", views.save, name="save"),
]
