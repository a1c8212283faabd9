from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CorrelationConfig(AppConfig):
    name = "frontline.correlation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each process keeps the components in memory; a save anywhere makes every process reread them.
        from frontline.correlation.upstream import component_saved
        from frontline.monitoring.models import Component

        post_save.connect(component_saved, sender=Component, dispatch_uid="correlation.component_saved")
        post_delete.connect(component_saved, sender=Component, dispatch_uid="correlation.component_deleted")
