"""What correlation hears from the apps below it: a component saved or removed anywhere (the API, the
admin, a command) makes every process reread the components it keeps in memory (upstream.py)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from frontline.correlation import upstream
from frontline.monitoring.models import Component


@receiver(post_save, sender=Component, dispatch_uid="correlation.component_saved")
@receiver(post_delete, sender=Component, dispatch_uid="correlation.component_deleted")
def component_changed(sender, **kwargs):
    upstream.component_saved()
