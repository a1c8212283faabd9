from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "frontline.delivery"
    label = "delivery"
