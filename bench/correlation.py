"""Correlation benchmark (issue 17): a replayed outage. It prints figures; nothing here passes or fails.

    python bench/correlation.py replay              # through the inventory: cases name their units
    python bench/correlation.py replay --text-only  # the same outage, no unit named: words only

Starts from an empty SQLite database under bench/out/ with `--customers` seeded customers. Every mailbox
sends through one of four relays (smtp-1..4), every site runs on one of 24 web servers. Then, in simulated
time (the clock frozen at each case's arrival), it opens through the same service intake uses:

- `--background` cases (50,000) spread over a week: random customers, topics and words from the demo's
  texts, one of the customer's units named;
- a burst of `--burst` cases (2,000) from customers behind smtp-3, starting at the onset (day 4, 14:00),
  most in the first 20 minutes and the rest over the next 40, in a dozen wordings of "my mail is rejected";
  the incident is resolved 90 minutes after the onset (cases after that start afresh).

The grouping rule is the demo's "relay bursts" (relays only, no questions, 10 cases in 10 minutes, opens the
incident itself); with --text-only, cases name no unit and the rule groups by words (10 in 10 minutes).
Reported: how long after the onset the incident was opened (simulated time), the share of the burst linked
to it, the share of the background wrongly linked to any incident, pairwise precision and recall of the
rule's groups against the truth (the burst is one problem, each background case its own), and the time
the correlation step itself took per case (the FRONTLINE_CASE_OPENED door: p50, p99, max; wall clock).
"""

import argparse
import datetime
import random
import sys
import time
from math import comb
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from intake import fresh_database, in_process, percentile, time_correlation_door  # noqa: E402

ONSET = datetime.datetime(2026, 11, 5, 14, 0, tzinfo=datetime.UTC)
WEEK_START = ONSET - datetime.timedelta(days=3, hours=14)
BURST_WORDS = [
    "Our outgoing mail is rejected: 550 relay denied",
    "Emails bounce back with 'relay access denied' since this afternoon",
    "Cannot send any email, the server says 550 5.7.1 relaying denied",
    "Outgoing mail stuck, error: relay access denied",
    "All our outbound messages are refused with 550 relay not permitted",
    "Mail rejected when sending: 554 5.7.1 relay access denied",
    "Our staff cannot send email, bounce says relaying denied",
    "Sending mail fails: 550 5.7.1 relay denied for our office",
    "Every email we send comes back: relay access denied",
    "Outgoing email rejected by your server (550 relay denied)",
    "Can't send mail since 14:00, relay denied error",
    "Mail server refuses to relay our outgoing messages",
]


def prepare(text_only: bool) -> dict:
    """Components, the rule, and which customers sit behind which relay."""
    from django.db import connection

    from frontline.agents.models import Agent
    from frontline.correlation import rules
    from frontline.customers.models import ServiceUnit
    from frontline.monitoring import services as monitoring

    lead = Agent.objects.filter(role="team_lead").first()
    for n in range(1, 25):
        monitoring.add_component(name=f"web-{n:02d}", kind="server", group="Web hosting")
    for n in range(1, 5):
        monitoring.add_component(name=f"smtp-{n}", kind="relay", group="Mail")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_serviceunit SET hostname = 'smtp-' || (1 + id % 4) WHERE kind = 'mailbox'"
        )
        cursor.execute(
            "UPDATE customers_serviceunit SET hostname = printf('web-%02d', 1 + id % 24) WHERE kind = 'site'"
        )
    if text_only:
        rules.save_rule(
            by=lead,
            name="same words",
            condition="!case.from_monitoring",
            group_by="words",
            min_count=10,
            window_minutes=10,
            needs_approval=False,
            mode="on",
        )
    else:
        rules.save_rule(
            by=lead,
            name="relay bursts",
            condition='element.kind == "relay" && case.impact != "question"',
            min_count=10,
            window_minutes=10,
            needs_approval=False,
            mode="on",
        )
    units: dict[int, list[int]] = {}
    behind: dict[int, int] = {}  # customer -> their mailbox on smtp-3
    rows = ServiceUnit.objects.values_list("pk", "customer_id", "kind", "hostname")
    for pk, customer_id, kind, hostname in rows:
        units.setdefault(customer_id, []).append(pk)
        if kind == "mailbox" and hostname == "smtp-3":
            behind.setdefault(customer_id, pk)
    return {"units": units, "behind": behind}


def plan(args, ground: dict, rng: random.Random) -> list[tuple]:
    """(at, customer id, unit id or None, subject, body, impact, is burst) in arrival order."""
    from frontline.demo.texts import SUBJECTS, compose

    topics = list(SUBJECTS)
    customers = sorted(ground["units"])
    arrivals = []
    week = 7 * 24 * 3600
    for n in range(args.background):
        customer = rng.choice(customers)
        text = compose(rng.choice(topics), rng, {"domain": f"site{n % 997}.example", "person": "Pat"})
        impact = rng.choices(["question", "degraded", "down"], [5, 3, 2])[0]
        at = WEEK_START + datetime.timedelta(seconds=rng.uniform(0, week))
        unit = rng.choice(ground["units"][customer])
        arrivals.append((at, customer, unit, text.subject, text.body, impact, False))
    behind = sorted(ground["behind"])
    for _ in range(args.burst):
        customer = rng.choice(behind)
        minutes = rng.uniform(0, 20) if rng.random() < 0.75 else rng.uniform(20, 60)
        words = rng.choice(BURST_WORDS)
        mailbox = ground["behind"][customer]
        arrivals.append(
            (
                ONSET + datetime.timedelta(minutes=minutes),
                customer,
                mailbox,
                words[:80],
                f"Hello,\n\n{words}. Please help, our office depends on it.\n\nThanks",
                "down",
                True,
            )
        )
    arrivals.sort(key=lambda row: row[0])
    return arrivals


def run_replay(args) -> None:
    data_dir = fresh_database("correlation", customers=args.customers)
    in_process(data_dir)
    ground = prepare(args.text_only)
    rng = random.Random(17)
    arrivals = plan(args, ground, rng)
    from frontline.cases import services as cases
    from frontline.core import clock
    from frontline.correlation.models import Proposal, ProposalState, Sighting
    from frontline.customers.models import Customer, ServiceUnit
    from frontline.incidents import running
    from frontline.incidents.models import Incident, IncidentCase, IncidentState

    timings = time_correlation_door()
    customer_rows = Customer.objects.in_bulk(list({row[1] for row in arrivals}))
    unit_rows = ServiceUnit.objects.in_bulk(list({row[2] for row in arrivals}))
    burst_ids, background_ids = [], []
    over = ONSET + datetime.timedelta(minutes=args.outage_minutes)
    started = time.monotonic()
    for n, (at, customer_id, unit_id, subject, body, impact, is_burst) in enumerate(arrivals):
        if over is not None and at > over:  # the relay is fixed: its incident is resolved
            with clock.frozen_at(over):
                for open_one in Incident.objects.filter(state__in=IncidentState.open_values()):
                    running.resolve(open_one, body="Fixed.", label="bench")
            over = None
        unit = unit_rows[unit_id]
        with clock.frozen_at(at):
            case = cases.open_case(
                customer=customer_rows[customer_id],
                subject=subject,
                body=body,
                channel="email",
                impact=impact,
                units=[] if args.text_only else [unit],
            )
        (burst_ids if is_burst else background_ids).append(case.pk)
        if n % 10000 == 0:
            print(f"  {n} cases replayed, {time.monotonic() - started:.0f} s", flush=True)
    wall = time.monotonic() - started
    burst, background = set(burst_ids), set(background_ids)
    linked = dict(IncidentCase.objects.values_list("case_id", "incident_id"))
    burst_incidents = [linked[c] for c in burst if c in linked]
    main = max(set(burst_incidents), key=burst_incidents.count) if burst_incidents else None
    incident = Incident.objects.get(pk=main) if main else None
    found_after = (incident.created_at - ONSET).total_seconds() / 60 if incident else None
    burst_linked = sum(1 for c in burst if linked.get(c) == main) / len(burst)
    wrongly = sum(1 for c in background if c in linked) / len(background)
    groups: dict[int, list[int]] = {}
    reached = Sighting.objects.exclude(proposal__state=ProposalState.GATHERING)
    for case_id, proposal_id in reached.values_list("case_id", "proposal_id"):
        groups.setdefault(proposal_id, []).append(case_id)
    grouped = true_grouped = 0
    for members in groups.values():
        b = sum(1 for c in members if c in burst)
        grouped += comb(len(members), 2)
        true_grouped += comb(b, 2)
    precision = true_grouped / grouped if grouped else float("nan")
    recall = true_grouped / comb(len(burst), 2)
    path = "text only (no unit named, words rule)" if args.text_only else "through the inventory (relay rule)"
    print(f"CORRELATION {path}: {len(background)} background cases over a week + a burst of {len(burst)}")
    print(f"CORRELATION replay took {wall:.0f} s wall clock ({len(arrivals) / wall:.0f} cases/s, in-process)")
    if incident:
        print(
            f"CORRELATION incident {incident.ref} opened {found_after:.1f} min after the onset "
            f"({incident.opened_by_label}); why: {Proposal.objects.filter(incident=incident).first().why}"
        )
    else:
        print("CORRELATION no incident was opened for the burst")
    print(f"CORRELATION burst linked to it: {burst_linked:.1%}; background wrongly linked: {wrongly:.2%}")
    print(
        f"CORRELATION groups reached: {len(groups)}; pairwise precision {precision:.3f}, recall {recall:.3f} "
        f"({true_grouped} of {grouped} grouped pairs true; {comb(len(burst), 2)} true pairs)"
    )
    ms = [t * 1000 for t in timings]
    print(
        f"CORRELATION door per case: p50 {percentile(ms, 0.5):.2f} ms, p99 {percentile(ms, 0.99):.2f} ms, "
        f"max {max(ms):.1f} ms over {len(ms)} cases"
    )
    kinds = [is_burst for *_, is_burst in arrivals]
    for label, wanted in (("background", False), ("burst", True)):
        part = [t for t, kind in zip(ms, kinds, strict=True) if kind == wanted]
        print(
            f"CORRELATION door, {label} cases: p50 {percentile(part, 0.5):.2f} ms, "
            f"p99 {percentile(part, 0.99):.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("replay")
    p.add_argument("--customers", type=int, default=20000)
    p.add_argument("--background", type=int, default=50000)
    p.add_argument("--burst", type=int, default=2000)
    p.add_argument("--text-only", action="store_true", help="cases name no unit; the rule groups by words")
    p.add_argument("--outage-minutes", type=int, default=90, help="when the incident is resolved")
    args = parser.parse_args()
    run_replay(args)


if __name__ == "__main__":
    main()
