"""The incidents app's door: pages, the API, tasks and commands call the names here. The code lives by
concern beside it: `running` (incidents, updates, links, resolution), `proactive` (cases opened from
monitoring), `maintenance` (planned work and MAINTNOTE), `ledger` (who was told), `statuspage` (the public
page and its feeds), `subscriptions` (who follows it), `upstream` (carriers' notices in)."""

from frontline.incidents.ledger import ledger as ledger
from frontline.incidents.maintenance import change as change_maintenance
from frontline.incidents.maintenance import schedule as schedule_maintenance
from frontline.incidents.running import link_case as link_case
from frontline.incidents.running import open_incident as open_incident
from frontline.incidents.running import post_update as post_update
from frontline.incidents.running import resolve as resolve

__all__ = [
    "change_maintenance",
    "ledger",
    "link_case",
    "open_incident",
    "post_update",
    "resolve",
    "schedule_maintenance",
]
