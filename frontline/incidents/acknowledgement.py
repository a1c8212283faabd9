"""The incidents app's paragraph in a new case's acknowledgement (FRONTLINE_ACKNOWLEDGEMENT_NOTES): a
customer who writes about something we already know is told so, with where it stands, in the same mail."""

from frontline.core import rows, texts
from frontline.incidents.models import Incident

# Plain SQL, one statement: every new case's acknowledgement asks, and most cases belong to no incident.
_INCIDENT_OF = (
    "t0.id = (SELECT incident_id FROM incidents_incidentcase WHERE case_id = %s ORDER BY id LIMIT 1)"
)


def known_incident(case) -> str | None:
    incident = rows.find(Incident, _INCIDENT_OF, [case.pk])
    if incident is None or not incident.is_open:
        return None
    latest = incident.updates.order_by("-posted_at", "-pk").first()
    return texts.render_text("incidents/known", incident=incident, latest=latest).strip()
