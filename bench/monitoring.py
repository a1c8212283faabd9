"""Monitoring and incident benchmarks (issue 16). They print figures; nothing here passes or fails.

    python bench/monitoring.py webhook   # Alertmanager posts at 100 groups/s for a minute, through gunicorn,
                                         # with the status page and its feed read as fast as they answer
    python bench/monitoring.py incident  # an incident reaching 10,000 customers: every notice queued
    python bench/monitoring.py all

Each run starts from an empty database under bench/out/ with seeded customers (whose sites carry the
labels monitoring uses), our components and the matchers; it serves on 127.0.0.1 only and stops by itself.

webhook: 4 clients post Alertmanager payloads (version 4), paced to 100 groups a second in total: four in
five a new group whose one alert names a different customer's site (SiteDown: a proactive case, routed,
and its customer's first notice), one in five a repeat of an earlier group (Alertmanager's repeat interval:
nothing new). One `frontline worker` reads them. Measured: the webhook's answers (status, p50, p99), and
from each post's arrival to its proactive case opened and to its first notice queued (p50, p99), read from
the rows' own times afterwards. Meanwhile 4 more clients read /status/ and /status/feed.atom (half each)
with keep-alive connections as fast as they are answered.
"""

import argparse
import datetime
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))
from intake import fresh_database, in_process, percentile, wait_until_serving  # noqa: E402
from run import env_for, free_port  # noqa: E402

SECRET = "bench-monitoring-secret-0123456789abcdef"


def prepare() -> None:
    """Components, the Alertmanager source and the matchers, in the benchmark's database."""
    from frontline.agents.models import Agent
    from frontline.monitoring import services as monitoring
    from frontline.monitoring.models import LooksUp

    lead = Agent.objects.filter(role="team_lead").first()
    for n in range(1, 25):
        monitoring.add_component(name=f"web-{n:02d}", kind="server", group="Web hosting")
    monitoring.add_component(name="smtp-2", kind="relay", group="Mail")
    monitoring.add_source(name="alertmanager", kind="alertmanager", secret=SECRET)
    monitoring.save_matcher(label="site", looks_up=LooksUp.UNIT_NAME, position=10, by=lead)
    monitoring.save_matcher(label="instance", looks_up=LooksUp.COMPONENT, position=20, by=lead)


def payload(n: int, site: str, instance: str) -> bytes:
    """A new firing SiteDown group for one site, as Alertmanager posts it (the demo's builder)."""
    from frontline.demo.monitored import alertmanager_body

    return json.dumps(
        alertmanager_body(
            name="SiteDown",
            status="firing",
            starts=datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC),
            key=f'{{}}:{{alertname="SiteDown", site="{site}"}}',
            fingerprint=f"f{n:08d}",
            summary=f"{site} answers 503",
            group_by=("alertname", "site"),
            site=site,
            instance=instance,
        )
    ).encode()


def run_webhook(args) -> None:
    data_dir = fresh_database("monitoring", customers=args.customers)
    env = env_for(data_dir)
    in_process(data_dir)
    prepare()
    from frontline.customers.models import ServiceUnit

    sites = list(ServiceUnit.objects.filter(kind="site").values_list("name", "hostname"))
    total = args.rate * args.seconds
    bodies = []
    for n in range(total):
        new = n % 5 != 4 or n < 5
        index = n if new else n // 2  # a repeat re-posts an earlier group exactly
        site, host = sites[index % len(sites)]
        bodies.append(payload(index, site, host))
    port = free_port()
    server = subprocess.Popen(
        [
            BIN / "gunicorn",
            "frontline.wsgi",
            "--no-control-socket",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            str(args.threads),
            "--access-logfile",
            "/dev/null",
        ],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [BIN / "frontline", "worker"] if args.worker else ["sleep", "1"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    stop_readers = threading.Event()
    posted, reads = [], []
    codes, read_codes = {}, {}
    lock = threading.Lock()
    try:
        wait_until_serving(port, "/status/")
        started = time.monotonic()
        cursor = iter(range(total))

        def poster():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            headers = {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"}
            while True:
                with lock:
                    n = next(cursor, None)
                if n is None:
                    return
                due = started + n / args.rate  # paced: 100 a second in total
                time.sleep(max(0.0, due - time.monotonic()))
                t = time.perf_counter()
                conn.request("POST", "/monitoring/hooks/alertmanager/", bodies[n], headers)
                response = conn.getresponse()
                response.read()
                with lock:
                    posted.append(time.perf_counter() - t)
                    codes[response.status] = codes.get(response.status, 0) + 1

        def reader(path: str):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while not stop_readers.is_set():
                t = time.perf_counter()
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                with lock:
                    reads.append(time.perf_counter() - t)
                    read_codes[response.status] = read_codes.get(response.status, 0) + 1

        posters = [threading.Thread(target=poster) for _ in range(4)]
        paths = ["/status/", "/status/feed.atom"] * (args.readers // 2)
        readers = [threading.Thread(target=reader, args=(p,)) for p in paths]
        for thread in posters + readers:
            thread.start()
        for thread in posters:
            thread.join()
        elapsed = time.monotonic() - started
        stop_readers.set()
        for thread in readers:
            thread.join()
        read_elapsed = time.monotonic() - started
        print(
            f"WEBHOOK {len(posted)} posts in {elapsed:.1f} s = {len(posted) / elapsed:.0f} groups/s; "
            f"p50 {statistics.median(posted) * 1000:.1f} ms p99 {percentile(posted, 0.99) * 1000:.1f} ms; "
            f"answers {codes}"
        )
        if reads:
            print(
                f"STATUS PAGE + FEED during it: {len(reads)} reads in {read_elapsed:.1f} s = "
                f"{len(reads) / read_elapsed:.0f}/s; p50 {statistics.median(reads) * 1000:.2f} ms "
                f"p99 {percentile(reads, 0.99) * 1000:.1f} ms; answers {read_codes}"
            )
        backlog_from = time.monotonic()
        from frontline.monitoring.models import AlertPost

        while AlertPost.objects.filter(status="pending").exists() and time.monotonic() - backlog_from < 600:
            time.sleep(0.5)
        print(f"BACKLOG read {time.monotonic() - backlog_from:.1f} s after the last post")
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            process.wait(timeout=60)
    report_latency()


def report_latency() -> None:
    """From each post's arrival to its case, and to its customer's first notice, from the rows' times."""
    from frontline.incidents.models import ProactiveCase
    from frontline.monitoring.models import Alert, AlertPost
    from frontline.notifications.models import Notification

    first_post = {}
    for post in AlertPost.objects.order_by("pk").only("pk", "received_at", "body"):
        fingerprint = json.loads(bytes(post.body))["alerts"][0]["fingerprint"]
        first_post.setdefault(fingerprint, post.received_at)
    alerts = dict(Alert.objects.values_list("pk", "fingerprint"))
    notices = dict(Notification.objects.filter(case__isnull=False).values_list("case_id", "created_at"))
    to_case, to_notice = [], []
    for proactive in ProactiveCase.objects.all():
        arrived = first_post[alerts[proactive.alert_id]]
        to_case.append((proactive.opened_at - arrived).total_seconds())
        if proactive.case_id in notices:
            to_notice.append((notices[proactive.case_id] - arrived).total_seconds())
    print(
        f"POST TO CASE {len(to_case)} proactive cases: p50 {statistics.median(to_case) * 1000:.0f} ms "
        f"p99 {percentile(to_case, 0.99) * 1000:.0f} ms max {max(to_case) * 1000:.0f} ms"
    )
    print(
        f"POST TO FIRST NOTICE QUEUED {len(to_notice)}: p50 {statistics.median(to_notice) * 1000:.0f} ms "
        f"p99 {percentile(to_notice, 0.99) * 1000:.0f} ms"
    )


def run_incident(args) -> None:
    data_dir = fresh_database("incident", customers=args.customers)
    in_process(data_dir)
    prepare()
    from django.db import connection

    from frontline.agents.models import Agent
    from frontline.customers.models import ServiceUnit
    from frontline.incidents import services as incidents
    from frontline.monitoring.models import Component
    from frontline.notifications.models import Notification

    # The first `--affected` customers' mailboxes send through the relay smtp-2.
    mailboxes = ServiceUnit.objects.filter(kind="mailbox")
    customer_ids = sorted(set(mailboxes.values_list("customer_id", flat=True)))
    chosen = customer_ids[: args.affected]
    with connection.cursor() as cursor:
        for start in range(0, len(chosen), 5000):
            chunk = chosen[start : start + 5000]
            cursor.execute(
                "UPDATE customers_serviceunit SET hostname = 'smtp-2' WHERE kind = 'mailbox' "
                f"AND customer_id IN ({','.join(['%s'] * len(chunk))})",
                chunk,
            )
    lead = Agent.objects.filter(role="team_lead").first()
    relay = Component.objects.get(name="smtp-2")
    started = time.perf_counter()
    incident = incidents.open_incident(title="smtp-2 rejects mail", components=[relay], by=lead)
    opened = time.perf_counter() - started
    started = time.perf_counter()
    update = incidents.post_update(
        incident, state="identified", body="A configuration change; rolling back.", by=lead
    )
    queued = time.perf_counter() - started
    notices = Notification.objects.filter(subject_kind="incident", subject_id=str(incident.pk)).count()
    print(
        f"INCIDENT reaching {incident.affected.count()} customers ({incident.affected_units} units): "
        f"opened and its customers computed in {opened:.2f} s; an update's {update.notices} notices "
        f"({notices} rows) queued in {queued:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("webhook")
    p.add_argument("--rate", type=int, default=100, help="alert groups posted a second")
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--customers", type=int, default=8000)
    p.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (2 workers)")
    p.add_argument("--readers", type=int, default=4, help="clients reading the status page and feed")
    p.add_argument("--no-worker", dest="worker", action="store_false", help="post only; nothing reads them")
    p = sub.add_parser("incident")
    p.add_argument("--customers", type=int, default=12000)
    p.add_argument("--affected", type=int, default=10000)
    sub.add_parser("all")
    args = parser.parse_args()
    if args.command == "all":
        for command in ("webhook", "incident"):
            subprocess.run([sys.executable, __file__, command], check=True)
        return
    {"webhook": run_webhook, "incident": run_incident}[args.command](args)


if __name__ == "__main__":
    main()
