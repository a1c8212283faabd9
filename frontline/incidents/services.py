"""The incidents app's door: pages, the API, tasks and commands call the names here. The code lives by
concern beside it: `running` (incidents, updates, links, resolution), `proactive` (cases opened from
monitoring), `maintenance` (planned work and MAINTNOTE), `ledger` (who was told), `statuspage` (the public
page and its feeds), `subscriptions` (who follows it), `upstream` (carriers' notices in), `evidence` (what
we hold about an incident), `postmortems` (root cause, corrective actions, the customers' summary),
`repeats` (the same fault again)."""

from frontline.incidents.evidence import assemble as assemble_evidence
from frontline.incidents.ledger import earliness as earliness
from frontline.incidents.ledger import ledger as ledger
from frontline.incidents.maintenance import change as change_maintenance
from frontline.incidents.maintenance import schedule as schedule_maintenance
from frontline.incidents.postmortems import add_action as add_action
from frontline.incidents.postmortems import complete_action as complete_action
from frontline.incidents.postmortems import send_customer_summary as send_customer_summary
from frontline.incidents.postmortems import write_postmortem as write_postmortem
from frontline.incidents.running import detach_case as detach_case
from frontline.incidents.running import link_case as link_case
from frontline.incidents.running import open_incident as open_incident
from frontline.incidents.running import post_update as post_update
from frontline.incidents.running import resolve as resolve

__all__ = [
    "add_action",
    "assemble_evidence",
    "change_maintenance",
    "complete_action",
    "detach_case",
    "earliness",
    "ledger",
    "link_case",
    "open_incident",
    "post_update",
    "resolve",
    "schedule_maintenance",
    "send_customer_summary",
    "write_postmortem",
]
