from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "frontline.incidents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connects to monitoring's signals: what a health change means to customers is decided here.
        from frontline.incidents import receivers  # noqa: F401
