from django.urls import path

from frontline.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.lookup, name="lookup"),
    path("customers/<int:pk>/", views.customer_detail, name="detail"),
]
