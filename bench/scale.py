"""A million customers and ten million messages on PostgreSQL (issue 22). Prints figures; nothing here passes
or fails. Everything binds to 127.0.0.1 and stops by itself.

    export DATABASE_URL=postgres://frontline:frontline@127.0.0.1:5432/frontline_bench
    python -u bench/scale.py build --data-dir bench/out/scale      # seed, then grow by SQL (empty database)
    python -u bench/run.py http --data-dir bench/out/scale          # the pages, nothing else running
    python -u bench/scale.py load --data-dir bench/out/scale --seconds 300 --fanout 100000

`build` seeds 100,000 customers and 1,000,000 cases with `frontline seed` (every row as the services write
it), then grows the tables by copying inside the database, which writes millions of rows a minute where the
seeder writes thousands a second: customers to `--customers` (each added one with a verified email address
of its own), messages to `--messages` (copies of the seeded ones on the same cases, minutes later, with
their own Message-IDs) and events to `--events` (copies of the seeded ones, on the same cases and
customers). The full-text index of messages is dropped for the copy and built again, timed.

`load` runs the deployment of operations/processes.py on this machine: gunicorn with two web processes, two
RQ workers and the periodic process, an SMTP server and an HTTP receiver as the peers. It starts a fan-out to
`--fanout` customers (the routine ladder: one email each) and at the same moment four API clients post
messages for `--seconds`; a signed-in agent reads the inbox every two seconds meanwhile. It reports the
API's rate and latency by minute and overall, the inbox's latency under that load, the fan-out's progress,
each process's peak memory, and where the two cores' time went: each role's CPU seconds over the run.
"""

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))
from intake import children, wait_until_serving, web_peaks, yardstick  # noqa: E402
from notify import peak_memory_mb, percentile, worker_commands  # noqa: E402
from run import Session, env_for, free_port  # noqa: E402

# ---- build ---------------------------------------------------------------------------------------------


def _sql(cursor, statement: str, params=None, label: str = "") -> float:
    started = time.monotonic()
    cursor.execute(statement, params)
    seconds = time.monotonic() - started
    if label:
        print(f"BUILD {label}: {cursor.rowcount} rows in {seconds:.1f} s", flush=True)
    return seconds


def _count(cursor, table: str) -> int:
    cursor.execute(f"SELECT count(*) FROM {table}")
    return cursor.fetchone()[0]


def grow_customers(cursor, target: int) -> None:
    """Customers up to `target`: copies of the first seeded one's plan and tier, each with a verified
    address of its own (what a fan-out needs to tell them)."""
    have = _count(cursor, "customers_customer")
    if have >= target:
        return
    cursor.execute("SELECT max(id) FROM customers_customer")
    before = cursor.fetchone()[0]
    _sql(
        cursor,
        "INSERT INTO customers_customer (name, plan, tier, customer_since, monthly_value, notes, created_at, "
        "standing) SELECT 'Customer ' || g, c.plan, c.tier, c.customer_since, c.monthly_value, '', "
        "c.created_at, c.standing FROM generate_series(1, %s) g, "
        "(SELECT * FROM customers_customer ORDER BY id LIMIT 1) c",
        [target - have],
        label="customers",
    )
    _sql(
        cursor,
        "INSERT INTO customers_contactpoint (kind, value, normalized, label, state, verified_at, "
        "failure_reason, customer_id, signing_secret) SELECT 'email', 'ops' || id || '@example.net', "
        "'ops' || id || '@example.net', '', 'verified', created_at, '', id, '' FROM customers_customer "
        "WHERE id > %s",
        [before],
        label="their email addresses",
    )


# Every column of a table but its id, as a copy writes them: (column, expression over the row `t`).
def _columns(cursor, table: str, changed: dict[str, str]) -> tuple[str, str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id' "
        "ORDER BY ordinal_position",
        [table],
    )
    names = [row[0] for row in cursor.fetchall()]
    return ", ".join(names), ", ".join(changed.get(name, f"t.{name}") for name in names)


def grow_by_copies(cursor, table: str, target: int, changed: dict[str, str], label: str) -> float:
    """Copy the table's seeded rows (round n: each once more, `changed` applied with n bound) until it
    holds `target` rows. Answers the seconds spent."""
    have = _count(cursor, table)
    cursor.execute(f"SELECT max(id) FROM {table}")
    seeded_max = cursor.fetchone()[0]
    columns, values = _columns(cursor, table, changed)
    spent, round_ = 0.0, 0
    while have < target:
        round_ += 1
        # In slices of a million source rows: one statement per slice keeps each transaction's WAL bounded.
        for first in range(0, seeded_max, 1_000_000):
            if have >= target:
                break
            spent += _sql(
                cursor,
                f"INSERT INTO {table} ({columns}) SELECT {values} FROM {table} t "
                f"WHERE t.id > %(first)s AND t.id <= %(last)s ORDER BY t.id LIMIT %(room)s",
                {
                    "first": first,
                    "last": min(first + 1_000_000, seeded_max),
                    "room": target - have,
                    "n": round_,
                },
            )
            have += cursor.rowcount
            print(f"BUILD {label}: {have:,} rows ({spent:.0f} s)", flush=True)
    return spent


def run_build(args) -> None:
    data_dir = Path(args.data_dir).resolve()
    env = env_for(data_dir)
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to an empty PostgreSQL database: this benchmark is PostgreSQL's")
    data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([BIN / "frontline", "migrate", "-v0"], env=env, check=True)
    started = time.monotonic()
    if not args.skip_seed:
        subprocess.run(
            [
                BIN / "frontline",
                "seed",
                "--customers",
                "100000",
                "--cases",
                "1000000",
                "--open-share",
                "0.02",
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"BUILD seed (100,000 customers, 1,000,000 cases): {time.monotonic() - started:.0f} s")
    in_process(data_dir)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")  # a generated database: no reader waits for it
        grow_customers(cursor, args.customers)
        cursor.execute("DROP INDEX IF EXISTS message_fulltext")
        copied = grow_by_copies(
            cursor,
            "cases_message",
            args.messages,
            {
                "created_at": "t.created_at + make_interval(mins => %(n)s * 7)",
                "message_id": "CASE WHEN t.message_id = '' THEN '' ELSE "
                "'<c' || %(n)s || '.' || substr(t.message_id, 2) END",
            },
            "messages",
        )
        print(f"BUILD messages copied in {copied:.0f} s")
        # The search index as the migration made it (cases/migrations/0002_message_search.py).
        from frontline.cases.search import PG_DOCUMENT

        _sql(
            cursor,
            f"CREATE INDEX message_fulltext ON cases_message USING gin (({PG_DOCUMENT}))",
            label="full-text index of messages, built again",
        )
        copied = grow_by_copies(
            cursor, "events_event", args.events, {"at": "t.at + make_interval(secs => %(n)s)"}, "events"
        )
        print(f"BUILD events copied in {copied:.0f} s")
        _sql(cursor, "ANALYZE", label="ANALYZE")
        for table in ("customers_customer", "cases_case", "cases_message", "events_event"):
            cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")
            rows, size = cursor.fetchone()
            print(f"BUILD {table}: {rows:,} rows, {size / 2**30:.1f} GiB with its indexes")
        cursor.execute("SELECT pg_database_size(current_database())")
        size, seconds = cursor.fetchone()[0] / 2**30, time.monotonic() - started
        print(f"BUILD database: {size:.1f} GiB; {seconds:.0f} s in all")


def in_process(data_dir: Path) -> None:
    os.environ.update(env_for(data_dir))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# ---- load ----------------------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, with_reaped_children: bool = False) -> float:
    """User and system CPU of a process (Linux's count), and of its children it has waited for if asked:
    a PostgreSQL backend that ended during the run is counted in the postmaster's children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / TICK


def cpu_by_role(roles: dict[str, list[int]], web_master: int) -> dict[str, float]:
    """CPU seconds so far of each named group of processes; of gunicorn's master and its processes, those
    it has replaced included (it waits for them); of PostgreSQL and Redis wherever they run on this machine
    (found by name); and of this benchmark (its clients)."""
    by_name: dict[str, list[int]] = {"postgresql": [], "redis": []}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                name = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if name in ("postgres", "postmaster"):
                by_name["postgresql"].append(int(entry.name))
            elif name.startswith("redis-server"):
                by_name["redis"].append(int(entry.name))
    seconds = {role: sum(cpu_seconds(pid) for pid in pids) for role, pids in roles.items()}
    seconds["web (gunicorn, 2 processes)"] = cpu_seconds(web_master, with_reaped_children=True) + sum(
        cpu_seconds(pid) for pid in children(web_master)
    )
    seconds["postgresql"] = sum(cpu_seconds(pid, with_reaped_children=True) for pid in by_name["postgresql"])
    seconds["redis"] = sum(cpu_seconds(pid) for pid in by_name["redis"])
    seconds["benchmark (API clients, inbox reader)"] = time.process_time()
    return seconds


def run_load(args) -> None:
    data_dir = Path(args.data_dir).resolve()
    in_process(data_dir)
    from frontline.agents.models import Agent
    from frontline.agents.services import issue_api_token
    from frontline.customers.models import Customer
    from frontline.delivery.models import DeliveryAttempt
    from frontline.notifications.models import Notification

    smtp_port, http_port, web_port = free_port(), free_port(), free_port()
    env = {
        **env_for(data_dir),
        "FRONTLINE_EMAIL_BACKEND": "frontline.delivery.smtp.EmailBackend",
        "FRONTLINE_SMTP_HOST": "127.0.0.1",
        "FRONTLINE_SMTP_PORT": str(smtp_port),
        "FRONTLINE_SMS_URL": f"json://127.0.0.1:{http_port}/sms/{{number}}",
        "FRONTLINE_LOG_LEVEL": "WARNING",
        "FRONTLINE_BIND": f"127.0.0.1:{web_port}",
        "FRONTLINE_WEB_WORKERS": "2",
    }
    os.environ.update(env)
    steady_state(env)
    # The machine's speed, idle, before and after: it has moved by a third within hours, and only runs made
    # at a like speed compare.
    before = yardstick()
    _, token = issue_api_token(Agent.objects.get(user__username="tom"), "scale benchmark")
    everyone = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    notify = str(ROOT / "bench" / "notify.py")
    peers = [
        subprocess.Popen([sys.executable, notify, "smtp-peer", str(smtp_port)], env=env),
        subprocess.Popen([sys.executable, notify, "http-peer", str(http_port)], env=env),
    ]

    # The roles' warnings and errors go to files beside the data (web.log, worker-N.log): a run that sends
    # less than it should can then say why.
    def log(name: str):
        return open(Path(args.data_dir) / name, "ab")  # the child process writes to it until it ends

    web = subprocess.Popen(
        [BIN / "gunicorn", "--config", "python:frontline.operations.gunicorn", "frontline.wsgi"],
        env={**env, "FRONTLINE_LOG_LEVEL": "ERROR"},
        cwd=ROOT,
        stdout=log("web.log"),
        stderr=subprocess.STDOUT,
    )
    workers = [
        subprocess.Popen(
            command,
            env=env,
            stdout=log(f"worker-{n}.log"),
            stderr=subprocess.STDOUT,
        )
        # The recurring-jobs process polls as deployed (its default, 1 s; 0.1 s cost it 5% of a core here).
        for n, command in enumerate(worker_commands(argparse.Namespace(workers=2, poll=1.0)))
    ]
    try:
        wait_until_serving(web_port, "/healthz")
        roles = {
            "workers (2 RQ)": [w.pid for w in workers[:-1]],
            "periodic process": [workers[-1].pid],
            "SMTP and HTTP peers": [peer.pid for peer in peers],
        }
        result = _measure(args, web_port, token, everyone, env, Notification, DeliveryAttempt, roles, web.pid)
        result["web"] = web_peaks(web.pid)
        result["workers"] = [peak_memory_mb(w.pid) for w in workers]
        _report(result)
    finally:
        for process in [web, *workers, *peers]:
            process.terminate()
        for process in [web, *workers, *peers]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    print(
        f"RESULT machine yardstick (pure Python rounds/s, idle, higher is faster): {before:,.0f} before, "
        f"{yardstick():,.0f} after"
    )


# The tables a run writes (and the setup below): vacuumed before each run.
WRITTEN = [
    "cases_case",
    "cases_message",
    "events_event",
    "intake_rawmessage",
    "intake_acknowledgementdue",
    "delivery_deliveryattempt",
    "notifications_notification",
    "customers_contactpoint",
    "measures_problem",
    "measures_contact",
]


def steady_state(env: dict) -> None:
    """A running deployment's state, not a first start's: the router trained (its daily job retrains only
    after new resolutions), and the measures taken in up to the newest event (their upkeep of a whole history
    is issue 21's benchmark). Otherwise the first minutes measure a worker training on a million cases."""
    from django.db import connection

    from frontline.cases.models import Case, CaseStatus
    from frontline.cases.services import refresh_open_priorities
    from frontline.core import clock
    from frontline.events.models import Event
    from frontline.intake.models import AcknowledgementDue
    from frontline.measures.models import Watermark
    from frontline.notifications.models import Notification, NotificationStatus
    from frontline.routing.models import RouterModel

    if not RouterModel.objects.exists():
        started = time.monotonic()
        subprocess.run([BIN / "frontline", "train-router"], env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"SETUP router trained in {time.monotonic() - started:.0f} s")
    newest = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    Watermark.objects.update_or_create(pk=1, defaults={"last_event_id": newest})
    # The cases earlier runs opened (this benchmark's and bench/acks.py's subjects), closed: nobody works
    # them, and left open they piled up run after run (424,248 open against the built database's 20,000),
    # carried by every inbox read, scores' pass and count of an owner's open cases. Housekeeping of the
    # benchmark's own rows, not a service's closing (no events, no notices).
    started = time.monotonic()
    closed = Case.objects.filter(
        is_open=True, subject__regex=r"^(Alert|Outage) [0-9]+-[0-9]+(-[0-9]+)?$"
    ).update(status=CaseStatus.CLOSED, is_open=False, closed_at=clock.now())
    print(f"SETUP cases earlier runs opened, closed: {closed:,} in {time.monotonic() - started:.0f} s")
    # Open cases' scores aged up to now, as the five-minute pass keeps them: after a pause between runs the
    # run's first pass rewrote most of them (131,598 of 183,408 rows), a catching up no running deployment
    # does. The run's own pass still reads and scores every open case.
    started = time.monotonic()
    rewritten = refresh_open_priorities()
    print(f"SETUP open cases' scores aged: {rewritten:,} rewritten in {time.monotonic() - started:.0f} s")
    # Earlier runs' fan-outs still climbing and their cases' acknowledgements still owed would be served
    # during this run (the oldest due first): its figures would not be its own. Withdrawn as housekeeping.
    withdrawn = Notification.objects.filter(status=NotificationStatus.ACTIVE).update(
        status=NotificationStatus.CANCELLED, claim_token="", next_due_at=None, finished_at=clock.now()
    )
    owed, _ = AcknowledgementDue.objects.all().delete()
    print(f"SETUP earlier runs' notices withdrawn: {withdrawn:,}; acknowledgements no longer owed: {owed:,}")
    # The dead rows earlier runs and this setup left, vacuumed now rather than by autovacuum in the middle of
    # the run (one run had it on cases_case in its first minute and analysing four tables later), and the
    # tables' statistics brought up to date.
    started = time.monotonic()
    with connection.cursor() as cursor:
        for table in WRITTEN:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"SETUP the {len(WRITTEN)} tables runs write vacuumed in {time.monotonic() - started:.0f} s")


def fan_out_alone(args) -> None:
    """The fan-out, in a process of its own (as a lead's request or a command would run it): in the
    benchmark's process it would take the clients' interpreter lock for its whole storing."""
    in_process(Path(args.data_dir).resolve())
    from frontline.customers.models import Customer
    from frontline.notifications import services
    from frontline.notifications.models import FanOut

    everyone = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    told = sorted(random.Random(22).sample(everyone, min(args.fanout, len(everyone))))
    started = time.monotonic()
    fanout = services.fan_out(
        subject_kind="maintenance",
        subject_id="MW-scale",
        title="Planned maintenance on the storage cluster, Tuesday 22:00 to 23:00 UTC",
        body="Sites may be read-only for up to an hour while we move them to new disks.",
        urgency="routine",
        customers=told,
    )
    # The first chunk is stored with the fan-out, and sent at once; a worker's job stores the rest
    # (notifications/storing.py). A line now, for the progress lines to count its sending, and one when the
    # last chunk is stored.
    first = {"fanout": fanout.pk, "first_after": time.monotonic() - started, "cpu": time.process_time()}
    print(json.dumps(first), flush=True)
    stored = FanOut.objects.filter(pk=fanout.pk).values_list("stored", flat=True)
    while stored.get() < fanout.total:
        time.sleep(0.5)
    print(json.dumps(first | {"stored_after": time.monotonic() - started}), flush=True)


def _measure(args, port, token, everyone, env, Notification, DeliveryAttempt, roles, web_pid) -> dict:
    # Models once Django is set up (run_load has done it).
    from frontline.cases.models import Case, Direction, Message
    from frontline.core import clock

    since = clock.now()
    stop = threading.Event()
    posts: list[tuple[float, float, int]] = []  # (started, seconds, status)
    inbox: list[float] = []
    lock = threading.Lock()
    started = time.monotonic()
    # The fan-out's attempts are the run's only ones made for a notice when no earlier notice still climbs
    # (the run warns at its start otherwise): counted among the attempts newer than this, with no join over
    # every attempt ever made (170-270 ms a progress line).
    attempts_before = DeliveryAttempt.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    run = int(time.time())  # keys of their own: a key used before answers 200 from the first run's row

    def client(n: int):
        # Customers of the run's own choosing: the same ones run after run would find the last run's
        # open cases with the same subjects, and the API would measure joining them, not opening new ones.
        rng = random.Random(f"{run}-{n}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sent = 0
        while not stop.is_set():
            subject = f"Alert {run}-{n}-{sent}"
            customer = rng.choice(everyone)
            body = json.dumps({"customer_id": customer, "subject": subject, "body": "Disk 97% full"})
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"scale-{run}-{n}-{sent}",
            }
            t = time.monotonic()
            try:
                conn.request("POST", "/api/v1/messages", body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status, conn = 0, http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                posts.append((t - started, time.monotonic() - t, status))
            sent += 1

    def reader():
        session = Session(port)
        session.sign_in("tom", "northwind-demo")
        while not stop.is_set():
            t = time.monotonic()
            status, _ = session.request("GET", "/")
            if status == 200:
                inbox.append(time.monotonic() - t)
            stop.wait(2.0)

    fanout_box: dict = {}
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    threads.append(threading.Thread(target=reader))
    if args.fanout:
        fanning = subprocess.Popen(
            [sys.executable, __file__, "fanout", "--data-dir", args.data_dir, "--fanout", str(args.fanout)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )

        def wait_for_fanout():
            for line in fanning.stdout:
                if line.startswith("{"):  # its own lines; anything else a library printed is passed over
                    fanout_box.update(json.loads(line))

        threads.append(threading.Thread(target=wait_for_fanout))
    cpu_before = cpu_by_role(roles, web_pid)
    for thread in threads:
        thread.start()
    progress = []
    while time.monotonic() - started < args.seconds:
        time.sleep(10)
        fanout = fanout_box.get("fanout")
        sent = (
            DeliveryAttempt.objects.filter(pk__gt=attempts_before, notification_id__isnull=False)
            .exclude(status="sending")
            .count()
            if fanout
            else 0
        )
        with lock:
            recent = [p for p in posts if p[0] >= time.monotonic() - started - 10]
        progress.append((time.monotonic() - started, sent))
        print(
            f"  t={time.monotonic() - started:5.0f}s API {len(recent) / 10:.0f}/s "
            f"(p99 {percentile([p[1] for p in recent], 0.99) * 1000:.0f} ms); fan-out answered {sent:,}",
            flush=True,
        )
    cpu_after = cpu_by_role(roles, web_pid)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    fanout = fanout_box.get("fanout")
    if args.fanout and fanning.poll() is None:
        fanning.kill()
    return {
        "opened": Case.objects.filter(created_at__gte=since).count(),
        "acknowledged": Message.objects.filter(
            direction=Direction.OUTBOUND, created_at__gte=since, case__created_at__gte=since
        ).count(),
        "seconds": args.seconds,
        "clients": args.clients,
        "posts": posts,
        "inbox": inbox,
        "fanout_total": args.fanout,
        "fanout_stored_after": fanout_box.get("stored_after"),
        "fanout_first_after": fanout_box.get("first_after"),
        "fanout_progress": progress,
        "fanout_notices": Notification.objects.filter(fanout_id=fanout).count() if fanout else 0,
        "cpu": {role: cpu_after[role] - cpu_before[role] for role in cpu_before}
        | ({"fan-out's start (its own process)": fanout_box["cpu"]} if "cpu" in fanout_box else {}),
    }


def _while_sending(progress: list[tuple[float, int]]) -> tuple[float, float] | None:
    """From the last progress line with no email answered to the first with all of them (lines 10 s
    apart): the stretch in which the fan-out was sending."""
    if not progress or progress[-1][1] == 0:
        return None
    last = progress[-1][1]
    start = max((t for t, sent in progress if sent == 0), default=0.0)
    end = min(t for t, sent in progress if sent == last)
    return (start, end) if end > start else None


def _report(r: dict) -> None:
    posts = r["posts"]
    ok = [p for p in posts if p[2] in (200, 201)]
    codes: dict[int, int] = {}
    for p in posts:
        codes[p[2]] = codes.get(p[2], 0) + 1
    latencies = [p[1] for p in ok]
    print(
        f"RESULT API POST /api/v1/messages, {r['clients']} clients for {r['seconds']} s: {len(ok):,} stored, "
        f"{len(ok) / r['seconds']:.0f}/s; p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms; answers {codes}"
    )
    for minute in range(0, r["seconds"], 60):
        inside = [p[1] for p in ok if minute <= p[0] < minute + 60]
        if inside:
            print(
                f"RESULT   minute {minute // 60 + 1}: {len(inside) / min(60, r['seconds'] - minute):.0f}/s, "
                f"p50 {statistics.median(inside) * 1000:.0f} ms, p99 {percentile(inside, 0.99) * 1000:.0f} ms"
            )
    sending = _while_sending(r["fanout_progress"])
    if sending:  # the API beside the fan-out itself, not beside its storing or after its last email
        inside = [p[1] for p in ok if sending[0] <= p[0] < sending[1]]
        rate = len(inside) / (sending[1] - sending[0])
        print(
            f"RESULT   while the fan-out's emails were being sent (t={sending[0]:.0f}-{sending[1]:.0f} s): "
            f"{rate:.0f}/s, p50 {statistics.median(inside) * 1000:.0f} ms, "
            f"p99 {percentile(inside, 0.99) * 1000:.0f} ms"
        )
    if r["inbox"]:
        print(
            f"RESULT inbox under that load ({len(r['inbox'])} reads): p50 "
            f"{statistics.median(r['inbox']) * 1000:.0f} ms, p99 {percentile(r['inbox'], 0.99) * 1000:.0f} ms"
        )
    print(
        f"RESULT new cases opened by the API: {r['opened']:,}; acknowledgements sent to them within the run: "
        f"{r['acknowledged']:,}"
    )
    stored = r["fanout_stored_after"]
    answered = r["fanout_progress"][-1][1] if r["fanout_progress"] else 0
    if r["fanout_total"] and stored is None:
        print(f"RESULT fan-out to {r['fanout_total']:,} customers: still storing after {r['seconds']} s")
    elif r["fanout_total"]:
        print(
            f"RESULT fan-out to {r['fanout_total']:,} customers: {r['fanout_notices']:,} notices stored in "
            f"{stored:.0f} s (the first chunk with the fan-out in {r['fanout_first_after']:.1f} s, the rest "
            f"by a worker); {answered:,} emails answered by the SMTP server within the {r['seconds']} s"
        )
    cores = os.cpu_count() * r["seconds"]
    print(f"RESULT CPU seconds by role over the {r['seconds']} s ({cores:.0f} s of the cores in all):")
    for role, seconds in sorted(r["cpu"].items(), key=lambda item: -item[1]):
        print(f"RESULT   {role}: {seconds:,.0f} s ({seconds / cores:.0%})")
    web = next((seconds for role, seconds in r["cpu"].items() if role.startswith("web")), 0)
    if ok and web:
        # The web processes take about the same CPU seconds in every run (they are what limits it), so the
        # rate follows the CPU a message costs. With the same code that cost moves with the shared machine's
        # speed under load, which the idle yardstick does not see: compare runs by it too.
        print(f"RESULT web CPU per API message (inbox reads included): {web / len(ok) * 1000:.2f} ms")
    print(
        f"RESULT peak memory (VmHWM): web {', '.join(f'{m:.0f} MB' for m in r['web'])}; "
        f"workers {', '.join(f'{m:.0f} MB' for m in r['workers'])} (the last: the periodic process)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build")
    build.add_argument("--data-dir", required=True)
    build.add_argument("--customers", type=int, default=1_000_000)
    build.add_argument("--messages", type=int, default=10_000_000)
    build.add_argument("--events", type=int, default=50_000_000)
    build.add_argument("--skip-seed", action="store_true", help="the seed is there already: grow only")
    alone = sub.add_parser("fanout", help="(load's own: the fan-out in a process of its own)")
    alone.add_argument("--data-dir", required=True)
    alone.add_argument("--fanout", type=int, default=100_000)
    load = sub.add_parser("load")
    load.add_argument("--data-dir", required=True)
    load.add_argument("--seconds", type=int, default=300)
    load.add_argument("--clients", type=int, default=4)
    load.add_argument("--fanout", type=int, default=100_000)
    args = parser.parse_args()
    {"build": run_build, "load": run_load, "fanout": fan_out_alone}[args.command](args)


if __name__ == "__main__":
    main()
