from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "frontline.routing"
    label = "routing"

    def ready(self):
        # Connects routing's listeners to the cases app's signals; models must be loaded first.
        from frontline.routing import receivers  # noqa: F401
