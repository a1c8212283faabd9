"""The saved replies' panel on the case page (FRONTLINE_CASE_PANELS): each filled from the case, one press
puts it in the reply box (web/static/web/keys.js), and the reply remembers where it started."""

from frontline.cases.panels import SIDE, Panel, panel
from frontline.saved_replies import services


def saved_replies(request, case) -> Panel | None:
    offered = services.offered_for(case)
    if not offered:
        return None
    fields = services.case_fields(case, request.agent)
    shown = [(reply, services.fill(reply, case, request.agent, fields=fields)) for reply in offered[:30]]
    return panel(request, "saved_replies/_case_panel.html", {"case": case, "shown": shown}, place=SIDE)
