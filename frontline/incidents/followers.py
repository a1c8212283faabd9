"""What status page followers are told: each public incident update and maintenance notice, once, to the
subscriptions that follow its components (enqueued by path after the change commits)."""

from django.conf import settings

from frontline.core.texts import render_message
from frontline.incidents import subscriptions
from frontline.incidents.models import IncidentState, IncidentUpdate, Maintenance


def tell(kind: str, pk: int) -> int:
    if kind == "update":
        update = IncidentUpdate.objects.select_related("incident").filter(pk=pk).first()
        if update is None or not update.incident.public:
            return 0
        incident = update.incident
        subject, body = render_message(
            "incidents/follower_update",
            incident=incident,
            update=update,
            state=IncidentState(update.state).label,
            link=f"{settings.SITE_URL}/status/",
        )
        ids = list(incident.components.values_list("pk", flat=True))
        payload = {
            "type": "incident",
            "incident": incident.ref,
            "state": update.state,
            "title": incident.title,
        }
    else:
        m = Maintenance.objects.filter(pk=pk).first()
        if m is None or not m.public:
            return 0
        subject, body = render_message(
            "incidents/follower_maintenance", maintenance=m, link=f"{settings.SITE_URL}/status/"
        )
        ids = list(m.components.values_list("pk", flat=True))
        payload = {
            "type": "maintenance",
            "maintenance": m.ref,
            "status": m.status,
            "title": m.title,
            "starts_at": m.starts_at.isoformat(),
            "ends_at": m.ends_at.isoformat(),
        }
    return subscriptions.tell_followers(component_ids=ids, subject=subject, body=body, payload=payload)
