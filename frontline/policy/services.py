"""The policy app's one door for state changes: rules, events, decisions and the guardrails around them.
Pages, API, tasks and commands call these names; the code lives by concern beside this module:
`rules` (writing rules), `judging` (events in, their context, the verdict), `decisions` (proposal to end),
`overrides` (people deciding otherwise), `guardrails` (notice and grace) and `wording` (the words).

The life of an event:

1. `receive_events` stores each event exactly as it came (status "received") and commits, so a bad one
   loses nothing; then `judge_event` finds its unit (or raises it for a person), builds and stores the
   typed context the rules see, and runs the rules of its trigger.
2. Each rule that fires becomes a `Decision` on **that unit**, the smallest the event names; no rule can
   aim wider (`widen_decision` is a person's second decision, with a reason).
3. Guardrails, whatever the rule says: a disruptive action is *scheduled* after notice, at the end of
   its severity's grace, which can never be shorter than the ladder needs to reach a person; with no
   working channel it is *held* for a person; only the emergency class acts at once, and only on an
   active attack on others, notifying at the same moment and saying why. Every disruptive decision comes
   with a cleanup case, and each has its way back: a clean re-scan or a payment lifts it, a person restores.
4. `apply_due_decisions` (a recurring job) applies what fell due. Acknowledging the notice stops its ladder
   and changes nothing here: the action runs on its own clock.
"""

from frontline.policy.decisions import apply_decision as apply_decision
from frontline.policy.decisions import apply_due_decisions as apply_due_decisions
from frontline.policy.decisions import decisions_for_case as decisions_for_case
from frontline.policy.guardrails import LIVE_STATUSES as LIVE_STATUSES
from frontline.policy.guardrails import OPEN_STATUSES as OPEN_STATUSES
from frontline.policy.judging import build_context as build_context
from frontline.policy.judging import find_unit as find_unit
from frontline.policy.judging import receive_billing_event as receive_billing_event
from frontline.policy.judging import receive_events as receive_events
from frontline.policy.judging import record_unreadable as record_unreadable
from frontline.policy.overrides import decide as decide
from frontline.policy.overrides import end_decision as end_decision
from frontline.policy.overrides import goodwill_used as goodwill_used
from frontline.policy.overrides import grant_goodwill as grant_goodwill
from frontline.policy.overrides import override_decision as override_decision
from frontline.policy.overrides import reverse_override as reverse_override
from frontline.policy.overrides import widen_decision as widen_decision
from frontline.policy.rescans import request_rescan as request_rescan
from frontline.policy.rules import check_condition as check_condition
from frontline.policy.rules import save_rule as save_rule
