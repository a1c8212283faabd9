"""The demand panel on the case page (FRONTLINE_CASE_PANELS): each of the customer's contacts on this
problem with its class (value, or which failure, and which rule said so), and a form to correct it."""

from frontline.cases.panels import SIDE, Panel, panel
from frontline.measures.models import Contact, FailureType


def demand(request, case) -> Panel | None:
    contacts = list(
        Contact.objects.filter(message__case=case).select_related("rule").order_by("at", "message_id")
    )
    if not contacts:
        return None
    context = {"case": case, "contacts": contacts, "failure_types": FailureType.choices}
    return panel(request, "measures/_case_panel.html", context, place=SIDE)
