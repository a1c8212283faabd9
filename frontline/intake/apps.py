from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "frontline.intake"
    label = "intake"
