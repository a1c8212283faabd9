from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "frontline.scheduling"
    label = "scheduling"
