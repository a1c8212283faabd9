"""Notification benchmarks: a fan-out to many customers, and the ladders it starts. Prints figures.

    python -u bench/notify.py fanout --data-dir bench/out/notify-1 --customers 100000
    python -u bench/notify.py ladders --data-dir bench/out/notify-2 --customers 100000 --speed 60

`fanout`: one email per customer through the real path (fan_out -> dispatcher -> run_rungs on two
`frontline worker` processes -> our SMTP backend -> an aiosmtpd server on 127.0.0.1), each rendered,
recorded with the server's reply. Reports the rate of each stage and the workers' peak memory.

`ladders`: the same fan-out on the critical ladder (email, SMS at 15 min, a call at 1 h, a person at 4 h)
with a clock file every process shares running `--speed` times fast; half the customers acknowledge
once their email is recorded. SMS and calls go to an HTTP receiver on 127.0.0.1 (Apprise's json:// and
the voice webhook). Reports lateness (attempt recorded minus due time) per rung, on the shared clock and in
real seconds. Everything binds to loopback and stops by itself.
"""

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the peers: an SMTP server and an HTTP receiver, each in its own process ---------------------------


def serve_smtp(port: int) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            return f"250 2.0.0 Ok: queued as S{Sink.count}"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    while True:
        time.sleep(3600)


def serve_http(port: int) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


# ---- the benchmark ------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def peak_memory_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return float("nan")


def setup_env(args) -> dict:
    data_dir = Path(args.data_dir).resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        sys.exit(f"{data_dir} is not empty: the benchmark starts from an empty database")
    data_dir.mkdir(parents=True, exist_ok=True)
    smtp_port, http_port = free_port(), free_port()
    env = {
        "FRONTLINE_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "frontline.settings",
        "FRONTLINE_EMAIL_BACKEND": "frontline.delivery.smtp.EmailBackend",
        "FRONTLINE_SMTP_HOST": "127.0.0.1",
        "FRONTLINE_SMTP_PORT": str(smtp_port),
        "FRONTLINE_SMS_URL": f"json://127.0.0.1:{http_port}/sms/{{number}}",
        "FRONTLINE_VOICE_WEBHOOK_URL": f"http://127.0.0.1:{http_port}/voice",
        "FRONTLINE_VOICE_WEBHOOK_SECRET": "bench",
        "FRONTLINE_LOG_LEVEL": "WARNING",
        "FRONTLINE_CLOCK_FILE": str(data_dir / "clock.json"),
    }
    os.environ.update(env)
    return {**os.environ, **env, "_smtp_port": str(smtp_port), "_http_port": str(http_port)}


def seed(count: int) -> None:
    """Customers with one email address and one mobile each, written in bulk (not what is measured)."""
    from django.core.management import call_command

    from frontline.customers.models import ContactPoint, Customer

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    now = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
    batch = 5000
    for first in range(0, count, batch):
        made = Customer.objects.bulk_create(
            Customer(name=f"Customer {n}", customer_since=datetime.date(2020, 1, 1), created_at=now)
            for n in range(first, min(count, first + batch))
        )
        points = []
        for customer in made:
            points.append(
                ContactPoint(
                    customer=customer,
                    kind="email",
                    value=f"ops{customer.pk}@example.com",
                    normalized=f"ops{customer.pk}@example.com",
                    state="verified",
                    verified_at=now,
                )
            )
            points.append(
                ContactPoint(
                    customer=customer,
                    kind="phone",
                    value=f"+4477{customer.pk:08d}",
                    normalized=f"+4477{customer.pk:08d}",
                    state="verified",
                    verified_at=now,
                )
            )
        ContactPoint.objects.bulk_create(points)
    print(
        f"SETUP {count} customers with an email address and a mobile each "
        f"in {time.monotonic() - started:.1f} s"
    )


def run(args) -> None:
    env = setup_env(args)
    import django

    from frontline.core import clock

    start_virtual = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
    clock.set_clock_file(env["FRONTLINE_CLOCK_FILE"], start_virtual, speed=args.speed)
    django.setup()
    seed(args.customers)

    from django.db import connection

    from frontline.customers.models import Customer
    from frontline.delivery.models import DeliveryAttempt
    from frontline.notifications import services
    from frontline.notifications.models import Notification, NotificationStatus

    clean_env = {k: v for k, v in env.items() if not k.startswith("_")}
    peers = [
        subprocess.Popen([sys.executable, __file__, "smtp-peer", env["_smtp_port"]], env=clean_env),
        subprocess.Popen([sys.executable, __file__, "http-peer", env["_http_port"]], env=clean_env),
    ]
    time.sleep(1.0)
    workers = [subprocess.Popen(command, env=clean_env) for command in worker_commands(args)]
    try:
        ids = list(Customer.objects.values_list("pk", flat=True))
        urgency = "critical" if args.command == "ladders" else "routine"
        started = time.monotonic()
        fanout = services.fan_out(
            subject_kind="maintenance",
            subject_id="MW-1",
            title="Planned maintenance on web-07, Tuesday 22:00 to 22:30 UTC",
            body="Sites on web-07 will be unavailable for up to thirty minutes while we replace its disks.",
            urgency=urgency,
            customers=ids,
        )
        created = time.monotonic() - started
        # The call stores the first chunk (notifications/storing.py); a worker's job stores the rest.
        print(
            f"STAGE fan-out call: {fanout.total} notifications, the first {fanout.stored} stored with it, in "
            f"{created:.1f} s"
        )
        deadline = started + args.timeout
        acknowledged = 0
        last = 0
        while time.monotonic() < deadline:
            time.sleep(1.0)
            if args.command == "ladders":
                acknowledged += acknowledge_half(services, Notification, DeliveryAttempt)
            first_rung = DeliveryAttempt.objects.filter(notification__fanout=fanout, step=0)
            answered = first_rung.exclude(status="sending").count()
            elapsed = time.monotonic() - started
            if time.monotonic() - last >= 10:
                last = time.monotonic()
                open_ = Notification.objects.filter(fanout=fanout, status=NotificationStatus.ACTIVE).count()
                print(
                    f"  t={elapsed:6.1f}s first-rung answered={answered} still climbing={open_} "
                    f"acked={acknowledged}"
                )
            if args.command == "fanout" and answered >= len(ids):
                break
            if (
                args.command == "ladders"
                and not Notification.objects.filter(fanout=fanout, status=NotificationStatus.ACTIVE).exists()
            ):
                break
        total = time.monotonic() - started
        memory = [peak_memory_mb(w.pid) for w in workers]
        report(args, fanout, ids, started, total, memory, DeliveryAttempt, connection)
    finally:
        for process in workers + peers:
            process.terminate()
        for process in workers + peers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def worker_commands(args) -> list[list]:
    """`--workers` job-running processes as a deployment runs them (operations/processes.py): on the
    durable queue `frontline worker`; on RQ (FRONTLINE_TASKS_BACKEND) that many RQ workers and one process
    enqueueing the recurring jobs, which is not counted as a worker."""
    from frontline.operations.processes import ROLES

    if os.environ.get("FRONTLINE_TASKS_BACKEND") != "django_tasks_rq.RQBackend":
        return [
            [BIN / "frontline", "worker", "--poll", str(args.poll), "--worker-id", f"bench-{n}"]
            for n in range(args.workers)
        ]
    rq = [[BIN / "frontline", *ROLES["worker"][1:], "--name", f"bench-{n}"] for n in range(args.workers)]
    return [*rq, [BIN / "frontline", *ROLES["periodic"][1:], "--poll", str(args.poll)]]


def acknowledge_half(services, Notification, DeliveryAttempt) -> int:
    """Customers with an even id acknowledge once their email is recorded (as if they clicked the link)."""
    from django.db.models.functions import Mod

    ready = (
        Notification.objects.filter(status="active", next_step__gte=1, acknowledged_at__isnull=True)
        .annotate(parity=Mod("customer_id", 2))
        .filter(parity=0)
        .values_list("pk", flat=True)[:5000]
    )
    done = 0
    for pk in list(ready):
        services.acknowledge(Notification(pk=pk), via="link", who="bench")
        done += 1
    return done


def report(args, fanout, ids, started, total, memory, DeliveryAttempt, connection) -> None:
    attempts = list(
        DeliveryAttempt.objects.filter(notification__fanout=fanout).values_list(
            "step", "channel", "status", "due_at", "attempted_at", "answered_at"
        )
    )
    first = [a for a in attempts if a[0] == 0]
    accepted = sum(1 for a in first if a[2] == "accepted")
    print(f"RESULT customers={len(ids)} workers={args.workers} wall={total:.1f} s")
    print(f"RESULT first rung: {len(first)} attempts, {accepted} accepted by the SMTP server")
    if first:
        span = (max(a[5] or a[4] for a in first) - min(a[4] for a in first)).total_seconds() / args.speed
        print(
            f"STAGE sending (first attempt to last answer): {span:.1f} s real, "
            f"{len(first) / max(span, 1e-9):.0f}/s"
        )
        hand_over = [((a[5] - a[4]).total_seconds() / args.speed) * 1000 for a in first if a[5]]
        print(
            f"STAGE a batch's attempt committed -> its answer: p50 {percentile(hand_over, 0.5):.1f} ms "
            f"p99 {percentile(hand_over, 0.99):.1f} ms"
        )
    print(f"RESULT peak worker memory (VmHWM): {', '.join(f'{m:.0f} MB' for m in memory)}")
    by_rung: dict[int, list[float]] = {}
    for step, _channel, _status, due, at, _answered in attempts:
        if due is not None:
            by_rung.setdefault(step, []).append((at - due).total_seconds())
    for step, late in sorted(by_rung.items()):
        channel = next(a[1] for a in attempts if a[0] == step)
        print(
            f"LATENESS rung {step + 1} ({channel}, {len(late)} attempts) on the shared clock: "
            f"p50 {percentile(late, 0.5):.1f} s p99 {percentile(late, 0.99):.1f} s max {max(late):.1f} s; "
            f"real: p50 {percentile(late, 0.5) / args.speed:.2f} s "
            f"p99 {percentile(late, 0.99) / args.speed:.2f} s max {max(late) / args.speed:.2f} s"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
    else:
        files = Path(os.environ["FRONTLINE_DATA_DIR"]).glob("frontline.sqlite3*")
        size = sum(p.stat().st_size for p in files)
    print(f"RESULT database {connection.vendor}, {size / 2**20:.0f} MB")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "smtp-peer":
        return serve_smtp(int(sys.argv[2]))
    if len(sys.argv) == 3 and sys.argv[1] == "http-peer":
        return serve_http(int(sys.argv[2]))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["fanout", "ladders"])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--poll", type=float, default=0.1, help="Worker's sleep when idle (real seconds)")
    parser.add_argument("--speed", type=float, default=1.0, help="How fast the shared clock runs")
    parser.add_argument("--timeout", type=float, default=1800, help="Stop after this many real seconds")
    args = parser.parse_args()
    if args.command == "fanout":
        args.speed = args.speed or 1.0
    run(args)


if __name__ == "__main__":
    main()
