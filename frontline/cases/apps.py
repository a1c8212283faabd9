from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "frontline.cases"
    label = "cases"
