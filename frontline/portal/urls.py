from django.urls import path

from frontline.portal import views

app_name = "portal"
urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/sign-in/", views.sign_in, name="sign_in"),
    path("portal/sign-in/<str:token>/", views.enter, name="enter"),
    path("portal/sign-out", views.sign_out, name="sign_out"),
    path("portal/open/<str:token>/", views.open_case, name="open"),
    path("portal/language", views.language, name="language"),
    path("portal/brand.css", views.brand, name="brand"),
    path("portal/account", views.switch, name="switch"),
    path("portal/cases/<str:ref>/", views.case, name="case"),
    path("portal/cases/<str:ref>/reply", views.reply, name="reply"),
    path("portal/cases/<str:ref>/confirm", views.confirm, name="confirm"),
    path("portal/cases/<str:ref>/files/<int:pk>", views.attachment, name="attachment"),
    path("portal/notices/<int:pk>/acknowledge", views.acknowledge, name="acknowledge"),
    path("portal/services/", views.service_list, name="services"),
    path("portal/holds/<int:pk>/rescan", views.rescan, name="rescan"),
    path("portal/holds/<int:pk>/ask", views.ask_person, name="ask"),
    path("portal/incidents/", views.incidents, name="incidents"),
    path("portal/feed/<str:token>.atom", views.feed, name="feed"),
    path("portal/calendar/<str:token>.ics", views.calendar, name="calendar"),
    path("portal/contacts/", views.contacts, name="contacts"),
    path("portal/contacts/add", views.contact_add, name="contact_add"),
    path("portal/contacts/<int:pk>/correct", views.contact_correct, name="contact_correct"),
    path("portal/contacts/<int:pk>/retire", views.contact_retire, name="contact_retire"),
    path("portal/contacts/<int:pk>/verify", views.contact_verify, name="contact_verify"),
]
