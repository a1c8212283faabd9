from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "frontline.customers"
    label = "customers"
