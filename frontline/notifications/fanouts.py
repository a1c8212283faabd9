"""Fan-outs started from the workspace: a lead chooses cases (their customers) and service units (their
owners, and the open cases about them), writes the notice, and starts it; each case it covers shows it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases.lookup import find_case
from frontline.cases.panels import MAIN, Panel, panel
from frontline.core.errors import ServiceError
from frontline.customers.models import ServiceUnit
from frontline.notifications import services
from frontline.notifications.models import FanOut, SubjectKind, Urgency
from frontline.web.access import agent_required

MOST_LINES = 10_000


def chosen_cases(refs: list[str], agent) -> list:
    """The cases named (C-12), each one the agent may see; every unknown one named in the refusal."""
    found, unknown = [], []
    for ref in refs[:MOST_LINES]:
        case = find_case(ref.strip(), related=("customer",))
        (found if case is not None else unknown).append(case or ref.strip())
    if unknown:
        raise ServiceError(f"no case {', '.join(unknown[:10])}", field="cases")
    return found


def chosen_units(lines: list[str]) -> list[int]:
    """Units by name (walkerblog.example, FTTP-CASTLE-01), or every unit on a server: "host:web-07"."""
    names = [line for line in lines if not line.startswith("host:")]
    hosts = [line.removeprefix("host:") for line in lines if line.startswith("host:")]
    found = list(ServiceUnit.objects.filter(name__in=names).values_list("pk", "name"))
    ids, known = [pk for pk, _ in found], {name for _, name in found}
    if set(names) - known:
        raise ServiceError(f"no service unit {', '.join(sorted(set(names) - known)[:10])}", field="units")
    for host in hosts:
        on_host = list(ServiceUnit.objects.filter(hostname=host).values_list("pk", flat=True))
        if not on_host:
            raise ServiceError(f"no service unit runs on {host}", field="units")
        ids += on_host
    return ids


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()][:MOST_LINES]


@require_http_methods(["GET", "POST"])
@agent_required
def new(request):
    require(request.agent, Capability.RUN_INCIDENTS)
    given = request.POST if request.method == "POST" else request.GET
    form = {key: given.get(key, "") for key in ("cases", "units", "title", "body", "urgency", "subject_id")}
    if request.method == "POST":
        fanout = services.fan_out(
            subject_kind=SubjectKind.CASE if _lines(form["cases"]) else SubjectKind.INCIDENT,
            subject_id=form["subject_id"] or "workspace",
            title=form["title"],
            body=form["body"],
            urgency=form["urgency"] or Urgency.URGENT,
            units=chosen_units(_lines(form["units"])),
            cases=chosen_cases(_lines(form["cases"]), request.agent),
            by=request.agent,
            via="web",
        )
        messages.success(request, f"Started: {fanout.total} notices.")
        return redirect("notifications:fanout", pk=fanout.pk)
    return render(request, "notifications/fanout_new.html", {"form": form, "urgencies": Urgency.choices})


def case_panel(request, case) -> Panel | None:
    """The notices to many customers that cover this case, and (for leads) starting one about it."""
    covering = list(FanOut.objects.filter(cases=case).order_by("-created_at")[:10])
    may_start = request.agent.can(Capability.RUN_INCIDENTS)
    if not covering and not may_start:
        return None
    units = list(case.affected_units.values_list("name", flat=True))
    context = {"case": case, "covering": covering, "may_start": may_start, "units": "\n".join(units)}
    return panel(request, "notifications/_case_fanouts.html", context, place=MAIN)
