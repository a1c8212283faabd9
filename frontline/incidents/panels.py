"""The incidents app's panel on the case page (FRONTLINE_CASE_PANELS): the incident the case is part of,
why it was linked, a one-click detach, and how often this customer was hit lately."""

from frontline.cases.panels import MAIN, Panel, panel
from frontline.incidents import repeats
from frontline.incidents.models import IncidentCase


def incident(request, case) -> Panel | None:
    link = IncidentCase.objects.filter(case=case).select_related("incident", "linked_by").first()
    if link is None:
        return None
    times = repeats.times_for_customers(link.incident, [case.customer_id]).get(case.customer_id, 1)
    context = {
        "case": case,
        "link": link,
        "incident": link.incident,
        "times": times,
        "times_words": repeats.ordinal(times),
    }
    return panel(request, "incidents/_case_panel.html", context, place=MAIN)
