from django.apps import AppConfig


class CorrelationConfig(AppConfig):
    name = "frontline.correlation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connects to the components' saves: each process keeps them in memory (upstream.py).
        from frontline.correlation import receivers  # noqa: F401
