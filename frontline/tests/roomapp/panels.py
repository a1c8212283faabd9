"""The room app's panel on the case page: how many times the case was flagged."""

from frontline.cases.panels import SIDE, Panel, panel
from frontline.tests.roomapp.events import FLAGGED


def flags(request, case) -> Panel | None:
    count = case.events.filter(kind=FLAGGED).count()
    if not count:
        return None
    return panel(request, "roomapp/_flags.html", {"count": count}, place=SIDE)
