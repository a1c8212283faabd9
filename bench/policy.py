"""Policy engine benchmarks: rule evaluation, events through the engine, simulation. Prints figures.

    python -u bench/policy.py evals
    python -u bench/policy.py engine --events 100000
    python -u bench/policy.py stored --events 2000
    python -u bench/policy.py simulate --data-dir bench/out/policy-1 --events 1000000

`evals`: one compiled rule judged over and over on one stored context (made ready for CEL once, as the
engine does per event), through `engine.judge`.

`engine`: 50 rules saved through `save_rule` (checked, versioned), spread over the triggers, judged for
varied stored contexts: per event, the trigger's compiled rules from the cache, the context made ready for
CEL, each rule binding only the names it uses. In process, no database writes: what the engine itself costs.

`stored`: events one API call each through `receive_events` on SQLite: stored, unit found, context built
and stored, ten rules judged, an event recorded. What one event costs end to end.

`simulate`: a SQLite database holding `--events` judged malware-scan events with their stored contexts
(written in bulk, not measured), then `reports.simulate` of a changed rule over the last 90 days, as
`frontline policy simulate` runs it.
"""

import argparse
import datetime
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
TRIGGERS = ["abuse_report", "malware_scan", "payment_overdue", "resource_abuse", "monitoring_state"]

# Ten condition shapes per trigger, the kind providers write; with different thresholds they make 50 rules.
CONDITIONS = {
    "abuse_report": [
        'event.category in ["worm", "ddos", "scan"] && unit.kind == "host"',
        'event.category == "spam" && event.incidents >= {n}',
        'event.feedback_type == "abuse" && history.same_unit_30d >= {n}',
        'event.active_attack && customer.tier != "critical"',
        'event.category == "phishing" && unit.kind == "site"',
        'event.reporter.endsWith(".gov") && event.incidents > {n}',
        'history.same_customer_30d > {n} && customer.plan == "starter"',
        '!("hospital" in history.tags) && event.category == "malware"',
        'unit.kind == "host" && unit.siblings > {n} && event.incidents >= 2',
        'event.category == "spam" && customer.tenure_years < 1.0',
    ],
    "malware_scan": [
        "event.infected && event.confidence >= 0.{n}",
        "event.infected && event.files > {n}",
        'event.infected && unit.kind == "site" && history.same_unit_90d >= 1',
        'event.infected && event.signature.startsWith("PHP.")',
        'event.infected && customer.plan == "reseller" && unit.end_users > {n}',
        "event.infected && history.actions_90d == 0",
        'event.infected && event.scanner == "maldet" && event.confidence > 0.5',
        "event.infected && unit.depth >= 1 && event.files >= 1",
        '!event.infected && unit.state == "contained"',
        'event.infected && !("vip" in history.tags)',
    ],
    "payment_overdue": [
        "event.days_overdue >= {n}0",
        'event.days_overdue >= 30 && customer.plan == "starter"',
        "event.days_overdue >= 60 && event.amount > {n}.0",
        '!("hospital" in history.tags) && event.days_overdue >= 45',
        "event.days_overdue > 14 && customer.tenure_years < 2.0",
        "event.days_overdue >= 90",
        "event.amount > 1000.0 && event.days_overdue > 7",
        'customer.tier == "standard" && event.days_overdue >= {n}5',
        "event.days_overdue >= 30 && history.same_customer_30d >= 1",
        'event.invoice.startsWith("INV-") && event.days_overdue > 100',
    ],
    "resource_abuse": [
        'event.metric == "mail_rate" && event.ratio > {n}.0',
        'event.metric == "cpu" && event.ratio > 2.0 && event.minutes >= {n}0',
        'event.metric == "bandwidth" && event.value > event.limit * 3.0',
        "event.ratio > 10.0",
        'event.metric == "connections" && event.minutes > {n}',
        'event.metric == "io" && unit.kind == "server"',
        "event.ratio > 5.0 && history.same_unit_30d >= {n}",
        'event.metric == "mail_rate" && customer.plan == "starter"',
        "event.minutes > 120 && event.ratio > 1.5",
        'event.metric in ["cpu", "io"] && event.ratio > {n}.5',
    ],
    "monitoring_state": [
        'event.state == "down" && event.minutes >= {n}',
        'event.state == "degraded" && event.minutes > 60',
        'event.alert.startsWith("Site") && event.state != "ok"',
        'event.state == "down" && unit.kind == "site"',
        'unit.end_users > {n}00 && event.state == "down"',
        'event.state == "down" && customer.tier == "critical"',
        'event.minutes > 240 && event.state != "ok"',
        'event.state == "ok" && unit.state == "down"',
        'event.alert == "HostDown" && unit.kind == "host"',
        'event.state == "degraded" && history.same_unit_30d >= {n}',
    ],
}
ACTIONS = {
    "abuse_report": "contain",
    "malware_scan": "contain",
    "payment_overdue": "suspend",
    "resource_abuse": "rate_limit",
    "monitoring_state": "open_case",
}


def random_context(trigger: str, rng: random.Random) -> dict:
    """A stored context as the engine writes it (JSON-ready: the timestamp as text)."""
    facts = {
        "abuse_report": lambda: {
            "feedback_type": rng.choice(["abuse", "fraud", "virus"]),
            "category": rng.choice(["worm", "spam", "phishing", "ddos", "scan", "malware"]),
            "reporter": rng.choice(["abuse@cert.example", "spam@mail.example", "soc@agency.gov"]),
            "source_ip": f"192.0.2.{rng.randint(1, 254)}",
            "reported_domain": "",
            "active_attack": rng.random() < 0.3,
            "incidents": rng.randint(1, 50),
        },
        "malware_scan": lambda: {
            "infected": rng.random() < 0.6,
            "signature": rng.choice(["PHP.Injector", "JS.Miner", "PHP.Shell", ""]),
            "confidence": round(rng.random(), 2),
            "scanner": rng.choice(["maldet", "clamav"]),
            "files": rng.randint(0, 40),
        },
        "payment_overdue": lambda: {
            "days_overdue": rng.randint(1, 120),
            "amount": round(rng.uniform(5, 2000), 2),
            "invoice": f"INV-{rng.randint(1, 99999)}",
        },
        "resource_abuse": lambda: {
            "metric": rng.choice(["cpu", "io", "mail_rate", "bandwidth", "connections"]),
            "value": rng.uniform(1, 1000),
            "limit": 100.0,
            "ratio": rng.uniform(0.5, 12),
            "minutes": rng.randint(1, 300),
        },
        "monitoring_state": lambda: {
            "state": rng.choice(["ok", "degraded", "down"]),
            "alert": rng.choice(["SiteDown", "HostDown", "DiskFull"]),
            "minutes": rng.randint(1, 600),
        },
    }[trigger]()
    return {
        "event": {"trigger": trigger, "source": "api", "received_at": T0.isoformat(), **facts},
        "unit": {
            "kind": rng.choice(["site", "host", "server", "account"]),
            "name": f"unit-{rng.randint(1, 10**6)}.example",
            "state": rng.choice(["ok", "ok", "down", "contained"]),
            "hostname": "web-12",
            "ip": "",
            "end_users": rng.randint(0, 5000),
            "depth": rng.randint(0, 3),
            "parent_kind": "account",
            "siblings": rng.randint(0, 40),
        },
        "customer": {
            "plan": rng.choice(["starter", "business", "reseller", "fibre"]),
            "tier": rng.choice(["standard", "priority", "critical"]),
            "tenure_years": round(rng.uniform(0, 30), 2),
            "monthly_value": round(rng.uniform(5, 700), 2),
            "units": rng.randint(1, 50),
            "working_channel": rng.random() < 0.95,
        },
        "history": {
            "same_unit_30d": rng.randint(0, 3),
            "same_unit_90d": rng.randint(0, 6),
            "same_customer_30d": rng.randint(0, 8),
            "actions_90d": rng.randint(0, 2),
            "open_cases": rng.randint(0, 5),
            "tags": rng.choice([[], [], ["vip"], ["hospital"]]),
        },
    }


def setup(data_dir: str | None) -> None:
    data_dir = Path(data_dir or tempfile.mkdtemp(prefix="frontline-policy-bench-")).resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        sys.exit(f"{data_dir} is not empty: the benchmark starts from an empty database")
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update({"FRONTLINE_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "frontline.settings"})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"SETUP database in {data_dir}")


def policy_admin():
    from frontline.agents import services as agents
    from frontline.agents.models import Role

    return agents.create_agent(
        username="bench",
        display_name="Bench Admin",
        email="bench@example.com",
        password=None,
        role=Role.POLICY_ADMIN,
    )


def save_rules(count: int, triggers: list[str]) -> None:
    from frontline.core import clock
    from frontline.policy import services

    admin = policy_admin()
    started = time.perf_counter()
    with clock.frozen_at(T0):
        for n in range(count):
            trigger = triggers[n % len(triggers)]
            shape = CONDITIONS[trigger][(n // len(triggers)) % 10]
            services.save_rule(
                by=admin,
                name=f"rule {n:02d} {trigger}",
                trigger=trigger,
                condition=shape.format(n=n % 9 + 1),
                action=ACTIONS[trigger],
                severity="standard" if ACTIONS[trigger] != "open_case" else "notice",
            )
    print(
        f"SAVE {count} rules (each compiled, type-checked, versioned) "
        f"in {time.perf_counter() - started:.2f} s"
    )


def bench_evals(args) -> None:
    setup(args.data_dir)
    from frontline.policy import engine

    save_rules(1, ["malware_scan"])
    [rule] = engine.rule_cache.rules_for("malware_scan")
    rng = random.Random(1)
    context = engine.bindable("malware_scan", json.loads(json.dumps(random_context("malware_scan", rng))))
    n = args.evaluations
    started = time.perf_counter()
    for _ in range(n):
        engine.judge([rule], context)
    elapsed = time.perf_counter() - started
    print(
        f"EVALS single rule {rule.name!r} ({len(rule.uses)} name(s) bound): {n:,} in {elapsed:.2f} s = "
        f"{n / elapsed:,.0f} evaluations/s"
    )
    started = time.perf_counter()
    for _ in range(n):
        rule.program.execute({"event": context["event"]})
    elapsed = time.perf_counter() - started
    print(f"EVALS the library alone (program.execute, same binding): {n / elapsed:,.0f}/s")


def bench_engine(args) -> None:
    setup(args.data_dir)
    from frontline.policy import engine

    triggers = TRIGGERS[: args.triggers]
    save_rules(args.rules, triggers)
    rng = random.Random(2)
    stored = []
    for n in range(args.events):
        trigger = triggers[n % len(triggers)]
        stored.append((trigger, json.loads(json.dumps(random_context(trigger, rng)))))
    fired = failed = evaluations = 0
    started = time.perf_counter()
    for trigger, context in stored:
        rules = engine.rule_cache.rules_for(trigger)
        verdict = engine.judge(rules, engine.bindable(trigger, context))
        evaluations += len(rules)
        fired += len(verdict.fired)
        failed += len(verdict.failed)
    elapsed = time.perf_counter() - started
    print(
        f"ENGINE {args.rules} rules over {len(triggers)} triggers: {args.events:,} events "
        f"in {elapsed:.2f} s = "
        f"{args.events / elapsed:,.0f} events/s ({evaluations / elapsed:,.0f} rule evaluations/s; "
        f"{fired:,} firings, {failed} evaluation errors)"
    )


CHANGED = 'event.infected && event.confidence >= 0.9 && event.files > 2 && !("vip" in history.tags)'


def bench_stored(args) -> None:
    """The whole path an API call takes: store each event, find its unit, build and store its context, judge,
    record. No rule fires (the conditions are false), so no case or notice is written: the event path only."""
    setup(args.data_dir)
    from frontline.core import clock
    from frontline.customers import services as customers
    from frontline.policy import services

    save_rules(10, ["malware_scan"])
    with clock.frozen_at(T0):
        customer = customers.create_customer(name="Bench Agency", plan="reseller")
        account = customers.add_unit(customer, kind="account", name="acct-bench")
        sites = [
            customers.add_unit(customer, kind="site", name=f"s{n}.example", parent=account)
            for n in range(200)
        ]
    started = time.perf_counter()
    for n in range(args.events):
        with clock.frozen_at(T0 + datetime.timedelta(seconds=n)):
            services.receive_events(
                [
                    {
                        "trigger": "malware_scan",
                        "facts": {"infected": False, "confidence": 1.0},
                        "unit": {"unit_id": sites[n % len(sites)].pk},
                    }
                ],
                source="scanner",
            )
    elapsed = time.perf_counter() - started
    print(
        f"STORED {args.events:,} events one call each (stored, unit found, context built and stored, "
        f"10 rules judged, recorded) in {elapsed:.1f} s = {args.events / elapsed:,.0f} events/s"
    )


def bench_simulate(args) -> None:
    setup(args.data_dir)
    from django.db import connection, transaction

    from frontline.policy import reports
    from frontline.policy.models import PolicyRule

    save_rules(1, ["malware_scan"])
    rule = PolicyRule.objects.get()
    rng = random.Random(3)
    started = time.perf_counter()
    batch = 20000
    insert = (
        "INSERT INTO policy_policyevent "
        "(trigger, kind, source, received_at, batch, payload, status, problem, context) "
        "VALUES ('malware_scan', 'scan', 'scanner', %s, '', '{}', 'judged', '', %s)"
    )
    span = 89 * 86400
    for first in range(0, args.events, batch):
        rows = []
        for n in range(first, min(args.events, first + batch)):
            at = T0 - datetime.timedelta(seconds=span * (args.events - n) / args.events)
            context = random_context("malware_scan", rng)
            context["event"]["received_at"] = at.isoformat()
            rows.append((at.isoformat(" "), json.dumps(context)))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, rows)
    size = Path(os.environ["FRONTLINE_DATA_DIR"], "frontline.sqlite3")
    print(
        f"SETUP {args.events:,} judged events with stored contexts in {time.perf_counter() - started:.1f} s "
        f"(database {size.stat().st_size / 2**20:,.0f} MB)"
        if size.exists()
        else ""
    )
    from frontline.core import clock

    with clock.frozen_at(T0 + datetime.timedelta(minutes=1)):
        result = reports.simulate(
            rule,
            since=datetime.timedelta(days=90),
            condition=CHANGED,
        )
    print(
        f"SIMULATE {result.events:,} events in {result.seconds:.1f} s "
        f"= {result.events / result.seconds:,.0f}/s: "
        f"fired then {result.fired_before:,}, would fire {result.fired_after:,}, "
        f"newly {len(result.newly):,}, "
        f"failed {result.failed}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    evals = sub.add_parser("evals")
    evals.add_argument("--evaluations", type=int, default=500000)
    engine = sub.add_parser("engine")
    engine.add_argument("--events", type=int, default=100000)
    engine.add_argument("--rules", type=int, default=50)
    engine.add_argument("--triggers", type=int, default=5)
    stored = sub.add_parser("stored")
    stored.add_argument("--events", type=int, default=2000)
    simulate = sub.add_parser("simulate")
    simulate.add_argument("--events", type=int, default=1000000)
    for each in (evals, engine, stored, simulate):
        each.add_argument(
            "--data-dir", help="an empty directory for the SQLite database (default: a temporary one)"
        )
    args = parser.parse_args()
    runs = {"evals": bench_evals, "engine": bench_engine, "stored": bench_stored, "simulate": bench_simulate}
    runs[args.what](args)


if __name__ == "__main__":
    main()
