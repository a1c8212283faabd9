from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "frontline.operations"
    label = "operations"
    verbose_name = "Operations"
