from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "frontline.measures"
    label = "measures"
    verbose_name = "Measures"
