from django.urls import path

from frontline.notifications import fanouts, fixing, views

app_name = "notifications"
urlpatterns = [
    path("notify/ack/<str:token>/", views.acknowledge, name="acknowledge"),
    path("notify/verify/<str:token>/", views.verify, name="verify"),
    path("notify/sms-inbound", views.sms_inbound, name="sms_inbound"),
    path("notify/fanouts/", views.fanout_list, name="fanouts"),
    path("notify/fanouts/new", fanouts.new, name="fanout_new"),
    path("notify/fanouts/<int:pk>/", views.fanout_detail, name="fanout"),
    path("notify/fanouts/<int:pk>/progress.json", views.fanout_progress, name="fanout_progress"),
    path("notify/<int:pk>/phone-confirmation", views.phone_confirmation, name="phone_confirmation"),
    path("contacts/<int:pk>/", fixing.contact, name="contact"),
    path("contacts/<int:pk>/correct", fixing.correct, name="contact_correct"),
    path("contacts/<int:pk>/retire", fixing.retire, name="contact_retire"),
    path("contacts/<int:pk>/add", fixing.add_beside, name="contact_add"),
    path("contacts/<int:pk>/verify", views.send_verification, name="send_verification"),
    path("contacts/<int:pk>/code", views.confirm_code, name="confirm_code"),
    path("customers/<int:pk>/notifications/", views.customer_notifications, name="customer"),
    path("customers/<int:pk>/notify", views.notify_customer, name="notify"),
    path("customers/<int:pk>/evidence.<str:fmt>", views.evidence, name="evidence"),
]
