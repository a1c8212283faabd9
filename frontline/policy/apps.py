from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "frontline.policy"
    default_auto_field = "django.db.models.BigAutoField"
