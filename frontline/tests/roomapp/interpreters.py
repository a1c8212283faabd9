"""A mail interpreter: "[flag] C-12 why" flags that case and raises a to-do, and opens no case."""

import re

from frontline.cases.models import Case
from frontline.intake.interpreters import IncomingMail, Outcome
from frontline.intake.models import RawStatus
from frontline.tests.roomapp import events
from frontline.todos.models import TODO_KINDS
from frontline.todos.services import raise_todo

CHECK_FLAG = TODO_KINDS.declare("roomapp_check", "Check a flagged case")
_FLAG = re.compile(r"^\[flag\]\s+C-(\d+)\s*(.*)$", re.IGNORECASE)


def flag(incoming: IncomingMail) -> Outcome | None:
    found = _FLAG.match(incoming.parsed.subject)
    case = found and Case.objects.filter(pk=int(found.group(1))).first()
    if not case:
        return None
    reason = found.group(2) or "no reason given"
    events.flagged(case=case, by_address=incoming.parsed.from_address, reason=reason)
    raise_todo(kind=CHECK_FLAG, title=f"Check the flag on {case.ref}", detail=reason, case=case)
    return Outcome(RawStatus.IGNORED, f"a flag on {case.ref}: a to-do raised", case)
