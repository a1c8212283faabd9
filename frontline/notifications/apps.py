from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from frontline.core.errors import ServiceError


def check_transport_settings(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A bad Apprise URL is refused when the server starts, not discovered when an outage needs it."""
    # Checks run after the app registry is ready, which importing transports (models) needs.
    from frontline.notifications.transports import check_apprise_url

    errors = []
    for name, placeholder in (("FRONTLINE_SMS_URL", "number"), ("FRONTLINE_CHAT_URL", "handle")):
        template = getattr(settings, name, "")
        if not template:
            continue
        try:
            check_apprise_url(template, placeholder)
        except ServiceError as exc:
            errors.append(checks.Error(f"{name}: {exc.message}", id="frontline.E101"))
    return errors


class NotificationsConfig(AppConfig):
    name = "frontline.notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        checks.register(check_transport_settings)
        # Connects notifications' listeners to the signals of customers and delivery; models load first.
        from frontline.notifications import receivers  # noqa: F401
