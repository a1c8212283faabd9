from django.urls import path

from frontline.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.lookup, name="lookup"),
    path("customers/<int:pk>/", views.customer_detail, name="detail"),
    path("customers/<int:pk>/people", views.add_person, name="add_person"),
    path("customers/<int:pk>/people/link", views.link_person, name="link_person"),
    path("customers/<int:pk>/people/<int:person_pk>/role", views.set_role, name="set_role"),
    path("customers/<int:pk>/people/<int:person_pk>/unlink", views.unlink_person, name="unlink_person"),
    path("customers/<int:pk>/contacts", views.add_contact, name="add_contact"),
]
