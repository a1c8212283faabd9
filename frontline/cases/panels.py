"""Panels other apps contribute to the case page, through `FRONTLINE_CASE_PANELS` (see core/doors.py).

A panel is a callable `(request, case) -> Panel | None`: it renders its own template with its own context
(None when it has nothing to show), so the case page imports no other app's views or templates.
"""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from frontline.core.doors import door

MAIN, SIDE = "main", "side"  # above the timeline, or in the side column below the customer


@dataclass(frozen=True)
class Panel:
    html: SafeString
    place: str = MAIN


def panel(request, template: str, context: dict, *, place: str = MAIN) -> Panel:
    return Panel(render_to_string(template, context, request=request), place)


def panels_for(request, case) -> dict[str, list[Panel]]:
    shown: dict[str, list[Panel]] = {MAIN: [], SIDE: []}
    for contribute in door("FRONTLINE_CASE_PANELS"):
        found = contribute(request, case)
        if found is not None:
            shown[found.place].append(found)
    return shown
