"""Intake's panel on the case page (FRONTLINE_CASE_PANELS): for a case from an unmatched sender, who they
may be and the form that says who they are."""

from frontline.cases.panels import MAIN, Panel, panel
from frontline.intake import matching


def unmatched_sender(request, case) -> Panel | None:
    if not case.customer.is_unmatched:
        return None
    context = {"case": case, "sender": case.customer, "suggestions": matching.suggestions(case.customer)}
    return panel(request, "intake/_unmatched_panel.html", context, place=MAIN)
