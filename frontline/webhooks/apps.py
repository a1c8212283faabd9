from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "frontline.webhooks"
    label = "webhooks"
    verbose_name = "Outgoing webhooks"
