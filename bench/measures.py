"""Measures benchmark (issue 21). Prints figures; nothing here passes or fails.

    python bench/measures.py --customers 100000 --cases 1000000      # SQLite under bench/out/
    DATABASE_URL=postgres://... python bench/measures.py ...          # the same on PostgreSQL

Seeds full histories (replies, chasers, reopens: about three messages a case) with `frontline seed
--full-history`, derives the measures from scratch (`frontline measures --rebuild`), then times the whole
measures page in-process with Django's test client (the view, its queries and the template: everything but
the socket) for every customer, one topic, one tier and one customer, and the periodic refresh after a
burst of new contacts. Loopback and local files only; it stops by itself.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))
from run import env_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default="", help="Reuse a seeded directory (skips the seed)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-rebuild", action="store_true", help="With --data-dir: time the pages only")
    args = parser.parse_args()
    data_dir = (
        Path(args.data_dir) if args.data_dir else ROOT / "bench" / "out" / f"measures-{int(time.time())}"
    )
    env = env_for(data_dir)
    if not args.data_dir:
        data_dir.mkdir(parents=True)
        subprocess.run([BIN / "frontline", "migrate", "-v0"], env=env, check=True)
        started = time.monotonic()
        subprocess.run(
            [
                BIN / "frontline",
                "seed",
                "--customers",
                str(args.customers),
                "--cases",
                str(args.cases),
                "--open-share",
                "0.02",
                "--months",
                "6",
                "--full-history",
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(
            f"MEASURES seed {args.cases} cases with full history: {time.monotonic() - started:.0f} s",
            flush=True,
        )
    else:
        subprocess.run([BIN / "frontline", "migrate", "-v0"], env=env, check=True)
    if not args.no_rebuild:
        started = time.monotonic()
        subprocess.run(
            [BIN / "frontline", "measures", "--rebuild"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(f"MEASURES rebuild from scratch: {time.monotonic() - started:.0f} s", flush=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    time_pages(args.runs)
    time_refresh()


def time_pages(runs: int) -> None:
    from django.test import Client

    from frontline.agents.models import Agent
    from frontline.cases.models import Case, Message
    from frontline.measures.models import Contact, Problem, WeekFigure

    print(
        f"MEASURES data: {Case.objects.count()} cases, {Message.objects.count()} messages, "
        f"{Problem.objects.count()} problems, {Contact.objects.count()} contacts, "
        f"{WeekFigure.objects.count()} week figures",
        flush=True,
    )
    lead = Agent.objects.filter(role="team_lead").select_related("user").first()
    client = Client()
    client.force_login(lead.user)
    customer = Problem.objects.order_by("-contacts").values_list("customer_id", flat=True).first()
    for label, path in (
        ("every customer, 26 weeks", "/measures/"),
        ("every customer, 52 weeks", "/measures/?weeks=52"),
        ("one topic", "/measures/?by=topic&value=web-hosting"),
        ("one tier", "/measures/?by=tier&value=standard"),
        ("one customer", f"/measures/?by=customer&value={customer}"),
        ("a customer's history", f"/customers/{customer}/history/"),
    ):
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path)
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        print(
            f"MEASURES page {label}: p50 {statistics.median(seconds) * 1000:.0f} ms, "
            f"max {max(seconds) * 1000:.0f} ms ({runs} runs, first {seconds[0] * 1000:.0f} ms)",
            flush=True,
        )


def time_refresh() -> None:
    """1,000 new contacts on open cases, then the periodic pass that takes them in."""
    import datetime

    from frontline.cases import services as cases
    from frontline.cases.models import Case
    from frontline.core import clock
    from frontline.measures import refresh

    refresh.refresh(settle=datetime.timedelta(0))
    open_cases = list(
        Case.objects.filter(is_open=True, merged_into__isnull=True).select_related("customer")[:1000]
    )
    for case in open_cases:
        cases.record_inbound_message(case, channel="email", body="Any news on this?")
    started = time.perf_counter()
    with clock.frozen_at(clock.now() + datetime.timedelta(minutes=1)):
        taken = refresh.refresh()
    print(
        f"MEASURES refresh after {len(open_cases)} new contacts: {taken} events in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )


if __name__ == "__main__":
    main()
