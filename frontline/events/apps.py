from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class EventsConfig(AppConfig):
    name = "frontline.events"
    label = "events"

    def ready(self):
        # Each app's events.py declares its own kinds when imported: import them all at start, so a process
        # that shows an event (a page, the API) knows its label even if it never wrote one of that kind.
        autodiscover_modules("events")
