"""How good the grouping is, measured against what people did: agents' merges, splits, attaches and
detaches are the labels; each rule's groups are scored pairwise against them.

Labels are read from the events, the single history, not kept apart: a merge says two cases are one
problem; a split says a message's new case is not its old one; a person linking a case to an incident says
it is the same problem as the cases already linked there, and detaching says it is not. Links made by a
rule (or a lead's acceptance of a rule's group in one click) are the rule's own judgment, never a label.

Pairwise precision: of the labelled pairs a rule put in one group, the share labelled the same problem.
Recall: of the pairs labelled the same problem, the share the rule put in one group.
How early incidents were found (the share of affected customers told before they contacted us) is the
ledger's (`incidents/ledger.py`): it is a fact of each incident, whoever grouped it.
"""

from collections import defaultdict
from dataclasses import dataclass

from frontline.correlation.models import GroupingRule, ProposalState, Sighting
from frontline.events.models import GROUPING_LABELS, Event, of_kinds
from frontline.events.models import EventKind as CaseEvents
from frontline.incidents import events as incident_events

MOST_PER_LINK = 200  # pairs a person's one attach can label: the cases already linked, at most this many


def _case_id(ref) -> int | None:
    text = str(ref or "")
    return int(text[2:]) if text.startswith("C-") and text[2:].isascii() and text[2:].isdigit() else None


def label_rows():
    """The label events in time order, read from their own index and not from the whole history."""
    rows = Event.objects.filter(of_kinds(*GROUPING_LABELS)).order_by("at", "pk")
    return rows.values_list("kind", "case_id", "actor_id", "data")


def labels() -> dict[tuple[int, int], bool]:
    """(smaller case id, larger) -> same problem, the latest word on each pair winning."""
    found: dict[tuple[int, int], bool] = {}

    def say(a, b, same: bool) -> None:
        if a and b and a != b:
            found[(min(a, b), max(a, b))] = same

    members: dict[int, set[int]] = defaultdict(set)
    for kind, case_id, actor_id, data in label_rows().iterator():
        if kind == CaseEvents.CASES_MERGED and "merged_case" in data:
            say(case_id, _case_id(data["merged_case"]), True)
        elif kind == CaseEvents.MESSAGE_SPLIT and "to" in data:
            say(case_id, _case_id(data["to"]), False)
        elif kind == incident_events.INCIDENT_CASE_LINKED:
            group = members[data.get("incident_id")]
            if actor_id is not None:  # a person's link: the same as those already there
                for other in list(group)[:MOST_PER_LINK]:
                    say(case_id, other, True)
            group.add(case_id)
        elif kind == incident_events.INCIDENT_CASE_DETACHED:
            group = members[data.get("incident_id")]
            group.discard(case_id)
            if actor_id is not None:
                for other in list(group)[:MOST_PER_LINK]:
                    say(case_id, other, False)
    return found


@dataclass
class Score:
    rule: GroupingRule
    groups: int  # groups that reached the rule's minimum
    grouped_cases: int
    labelled_pairs: int  # labelled pairs the rule put in one group
    agreed: int  # ...of which labelled the same problem
    same_pairs: int  # pairs labelled the same problem among cases the rule saw
    found: int  # ...of which the rule put in one group

    @property
    def precision(self) -> float | None:
        return self.agreed / self.labelled_pairs if self.labelled_pairs else None

    @property
    def recall(self) -> float | None:
        return self.found / self.same_pairs if self.same_pairs else None


def scores() -> list[Score]:
    said = labels()
    out = []
    for rule in GroupingRule.objects.order_by("name"):
        sightings = Sighting.objects.filter(rule=rule).values_list(
            "case_id", "proposal_id", "proposal__state"
        )
        seen: set[int] = set()
        groups_of: dict[int, set[int]] = defaultdict(set)
        groups = set()
        for case_id, proposal_id, state in sightings.iterator():
            seen.add(case_id)
            if state != ProposalState.GATHERING:
                groups_of[case_id].add(proposal_id)
                groups.add(proposal_id)
        labelled = agreed = same_pairs = found = 0
        for (a, b), same in said.items():
            together = bool(groups_of.get(a, set()) & groups_of.get(b, set()))
            if together:
                labelled += 1
                agreed += same
            if same and a in seen and b in seen:
                same_pairs += 1
                found += together
        out.append(Score(rule, len(groups), len(groups_of), labelled, agreed, same_pairs, found))
    return out
