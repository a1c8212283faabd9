"""The incidents app's paragraph in a new case's acknowledgement (FRONTLINE_ACKNOWLEDGEMENT_NOTES): a
customer who writes about something we already know is told so, with where it stands, in the same mail."""

from frontline.core import texts
from frontline.incidents.models import IncidentCase


def known_incident(case) -> str | None:
    link = IncidentCase.objects.filter(case=case).select_related("incident").first()
    if link is None or not link.incident.is_open:
        return None
    incident = link.incident
    latest = incident.updates.order_by("-posted_at", "-pk").first()
    return texts.render_text("incidents/known", incident=incident, latest=latest).strip()
