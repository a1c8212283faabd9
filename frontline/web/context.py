from django.conf import settings
from django.urls import reverse


def workspace(request):
    """The signed-in agent, and the header's links to what other apps add (FRONTLINE_WORKSPACE_LINKS:
    (words, URL name) pairs, in order), for the header of every page."""
    agent = getattr(request, "agent", None)
    links = [(words, reverse(name)) for words, name in settings.FRONTLINE_WORKSPACE_LINKS] if agent else []
    return {"agent": agent, "app_links": links}
