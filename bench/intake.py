"""Intake benchmarks (issue #3). They print figures; nothing here passes or fails.

    python bench/intake.py inproc --messages 100000   # the service the listener, importer and API share
    python bench/intake.py smtp   --seconds 60        # a real SMTP client against `frontline smtpd`
    python bench/intake.py api    --requests 5000     # POST /api/v1/messages on gunicorn, 2 workers
    python bench/intake.py all

Each run starts from an empty database under bench/out/ with 2,000 seeded customers and (`--history`,
20,000 by default) finished cases with the router trained on them, so that every new case is classified,
routed to an owner, scored and acknowledged as in production; it serves on 127.0.0.1 only, and stops by
itself. `api --peer` then measures django-helpdesk's ticket API the same way (bench/peer_helpdesk.py).
Generated mail: half new problems, half replies (In-Reply-To and References to their original), 5% of
the replies arriving before their original.
"""

import argparse
import email
import json
import os
import random
import re
import smtplib
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))
from run import env_for, free_port  # noqa: E402


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


def run_clients(client, count: int) -> float:
    """Run `count` threads of `client` to the end; answers the seconds it took."""
    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def fresh_database(name: str, customers: int = 2000, history: int = 0) -> Path:
    """An empty database with `customers` seeded customers and, with `history`, that many finished cases
    and a router trained on them, so that every new case is classified and routed to an owner."""
    data_dir = ROOT / "bench" / "out" / f"{name}-{int(time.time())}"
    data_dir.mkdir(parents=True)
    env = env_for(data_dir)
    subprocess.run([BIN / "frontline", "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [BIN / "frontline", "seed", "--customers", str(customers), "--cases", str(history), "--open-share=0"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if history:
        subprocess.run([BIN / "frontline", "train-router"], env=env, check=True, stdout=subprocess.DEVNULL)
    return data_dir


def in_process(data_dir: Path):
    os.environ.update(env_for(data_dir))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def generate(senders: list[str], count: int, rng: random.Random) -> list[tuple[str, bytes, str]]:
    """(kind, raw, original id) in arrival order: half originals, half replies to them."""
    from frontline.demo.texts import SUBJECTS, compose

    topics = list(SUBJECTS)
    originals = count // 2
    mails = []
    for n in range(originals):
        sender = rng.choice(senders)
        text = compose(rng.choice(topics), rng, {"domain": f"site{n % 997}.example", "person": "Pat"})
        msg = EmailMessage()
        msg["From"], msg["To"] = sender, "support@northwind.example"
        msg["Subject"], msg["Message-ID"] = text.subject, f"<o{n}@bench.example>"
        msg.set_content(text.body)
        original = ("original", msg.as_bytes(), f"<o{n}@bench.example>", sender)
        reply = EmailMessage()
        reply["From"], reply["To"] = sender, "support@northwind.example"
        reply["Subject"], reply["Message-ID"] = f"Re: {text.subject}", f"<r{n}@bench.example>"
        reply["In-Reply-To"] = reply["References"] = f"<o{n}@bench.example>"
        reply.set_content("Any news on this? It is still happening.\n\n> " + text.body[:200])
        pair = [original, ("reply", reply.as_bytes(), f"<o{n}@bench.example>", sender)]
        if rng.random() < 0.05:
            pair.reverse()  # the reply is read first
        mails.append(pair)
    # Interleave: each pair keeps its order, pairs overlap in time.
    stream, pending = [], []
    for pair in mails:
        stream.append(pair[0])
        pending.append(pair[1])
        if len(pending) > 50 or rng.random() < 0.5:
            stream.append(pending.pop(rng.randrange(len(pending))))
    stream.extend(pending)
    return [(kind, raw, original) for kind, raw, original, _ in stream]


def known_senders(limit: int = 2000) -> list[str]:
    from frontline.customers.models import ContactPoint

    return list(ContactPoint.objects.filter(kind="email").values_list("value", flat=True)[:limit])


def threading_report(stream) -> str:
    from frontline.cases.models import Message
    from frontline.cases.services import follow_merges

    case_of = dict(
        Message.objects.filter(message_id__endswith="@bench.example>").values_list("message_id", "case_id")
    )
    wrong = 0
    replies = [(original, original.replace("<o", "<r")) for kind, _, original in stream if kind == "reply"]
    cache = {}
    for original, reply in replies:
        a, b = case_of.get(original), case_of.get(reply)
        if a is None or b is None:
            wrong += 1
            continue
        for pk in (a, b):
            if pk not in cache:
                from frontline.cases.models import Case

                cache[pk] = follow_merges(Case.objects.get(pk=pk)).pk
        wrong += cache[a] != cache[b]
    return f"{len(replies) - wrong} of {len(replies)} replies on their original's case ({wrong} wrong)"


def yardstick(seconds: float = 3.0) -> float:
    """A fixed piece of pure Python (parse, serialise, match, sort) run for `seconds`: rounds per second.
    Printed before and after a run, so that figures taken on different days can be set side by side:
    this shared machine's speed has varied by a third from one day to the next."""
    sample = (ROOT / "bench" / "intake.py").read_bytes()[:4000]
    words = re.compile(rb"[A-Za-z_]+")
    rounds, until = 0, time.perf_counter() + seconds
    while time.perf_counter() < until:
        message = email.message_from_bytes(b"Subject: yardstick\r\n\r\n" + sample)
        found = sorted(words.findall(message.get_payload().encode()))
        json.loads(json.dumps({"words": [w.decode() for w in found], "n": len(found)}))
        rounds += 1
    return rounds / seconds


def run_inproc(args) -> None:
    before = yardstick()
    data_dir = fresh_database("intake", history=args.history)
    in_process(data_dir)
    from django.db.models import Count

    from frontline.intake import services
    from frontline.intake.models import RawMessage, Source

    rng = random.Random(3)
    stream = generate(known_senders(), args.messages, rng)
    timings = []
    original = services._process_one

    def timed(pk, **kwargs):  # measures the real service; changes nothing it does
        started = time.perf_counter()
        original(pk, **kwargs)
        timings.append(time.perf_counter() - started)

    services._process_one = timed
    door_timings = _time_correlation(args.grouping_rules)
    started = time.monotonic()
    accept_seconds = 0.0
    for start in range(0, len(stream), 1000):
        t = time.monotonic()
        for _, raw, _ in stream[start : start + 1000]:
            services.accept(raw, source=Source.IMPORT)
        accept_seconds += time.monotonic() - t
        services.process_pending()
    total = time.monotonic() - started
    statuses = dict(RawMessage.objects.values_list("status").annotate(n=Count("id")))
    rate, store_rate = len(stream) / total, len(stream) / accept_seconds
    p50, p99, worst = (percentile(timings, 0.5) * 1000, percentile(timings, 0.99) * 1000, max(timings) * 1000)
    print(f"INTAKE in-process messages={len(stream)} seconds={total:.1f} rate={rate:.0f}/s")
    print(f"INTAKE store (accept) {store_rate:.0f}/s; read (process) {len(timings) / sum(timings):.0f}/s")
    print(f"INTAKE per message processing ms: p50 {p50:.2f} p99 {p99:.2f} max {worst:.1f}")
    print(f"INTAKE outcomes {statuses}")
    print("INTAKE threading: " + threading_report(stream))
    after = yardstick()
    print(
        f"INTAKE machine yardstick (pure Python rounds/s, higher is faster): {before:.0f}, then {after:.0f}"
    )
    if door_timings:
        ms = [t * 1000 for t in door_timings]
        rules = "the demo's grouping rules" if args.grouping_rules else "no grouping rules"
        print(
            f"INTAKE correlation on arrival ({rules}), per new case: p50 {percentile(ms, 0.5):.2f} ms, "
            f"p99 {percentile(ms, 0.99):.2f} ms, max {max(ms):.1f} ms ({len(ms)} cases)"
        )


def _time_correlation(with_rules: bool) -> list[float]:
    """Time the FRONTLINE_CASE_OPENED door on every new case; with the demo's three grouping rules saved
    (relays and switches on, similar words in shadow) when asked."""
    from frontline.agents.models import Agent
    from frontline.correlation import rules

    if with_rules:
        lead = Agent.objects.filter(role="team_lead").first()
        relay = 'element.kind == "relay" && case.impact != "question"'
        rules.save_rule(by=lead, name="relay bursts", condition=relay, min_count=5, mode="on")
        rules.save_rule(by=lead, name="switch bursts", condition='element.kind == "switch"', mode="on")
        rules.save_rule(
            by=lead,
            name="same words",
            condition="case.units == 0",
            group_by="words",
            min_count=6,
            mode="shadow",
        )
    return time_correlation_door()


def time_correlation_door() -> list[float]:
    """Wrap correlation's case_opened (the door resolves the name at its first use): the list fills with
    each new case's seconds in it. Measures the real service; changes nothing it does."""
    from frontline.correlation import services as correlation

    timings: list[float] = []
    door = correlation.case_opened

    def timed(case):
        started = time.perf_counter()
        door(case)
        timings.append(time.perf_counter() - started)

    correlation.case_opened = timed
    return timings


def run_smtp(args) -> None:
    data_dir = fresh_database("smtp", history=args.history)
    env = env_for(data_dir)
    port = free_port()
    server = subprocess.Popen(
        [BIN / "frontline", "smtpd", "--port", str(port), "--no-process"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        server.stdout.readline()
        in_process(data_dir)
        from frontline.intake import services
        from frontline.intake.models import RawMessage

        # more than the listener can take in the time, so that it is busy for all of it
        stream = generate(known_senders(), 1500 * args.seconds, random.Random(5))
        sent, refused = 0, 0
        deadline = time.monotonic() + args.seconds
        lock = threading.Lock()
        cursor = iter(stream)

        def client():
            nonlocal sent, refused
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                while time.monotonic() < deadline:
                    with lock:
                        item = next(cursor, None)
                    if item is None:
                        return
                    try:
                        smtp.sendmail("sender@bench.example", ["support@northwind.example"], item[1])
                        with lock:
                            sent += 1
                    except smtplib.SMTPException:
                        with lock:
                            refused += 1

        elapsed = run_clients(client, args.clients)
        stored = RawMessage.objects.count()
        print(
            f"SMTP accepted with 250: {sent} in {elapsed:.1f} s = {sent / elapsed:.0f}/s "
            f"({args.clients} connections); refused {refused}; stored {stored}; lost {sent - stored}"
        )
        started = time.monotonic()
        done = services.process_pending()
        drain = time.monotonic() - started
        print(f"SMTP backlog of {done} read afterwards in {drain:.1f} s = {done / max(drain, 1e-9):.0f}/s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def drive(clients: int, count: int, connect, send) -> tuple[list[float], dict, float]:
    """`clients` threads, each with its own keep-alive connection (`connect()`), sending request number n
    with `send(connection, n)` (answers the HTTP status) until `count` are done."""
    latencies, codes = [], {}
    lock = threading.Lock()
    cursor = iter(range(count))

    def client():
        conn = connect()
        while True:
            with lock:
                n = next(cursor, None)
            if n is None:
                return
            t = time.perf_counter()
            status = send(conn, n)
            with lock:
                latencies.append(time.perf_counter() - t)
                codes[status] = codes.get(status, 0) + 1

    elapsed = run_clients(client, clients)
    return latencies, codes, elapsed


def report(label: str, latencies, codes, elapsed) -> float:
    p50, p99 = statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000
    rate = len(latencies) / elapsed
    print(f"{label}: {len(latencies)} in {elapsed:.1f} s = {rate:.0f}/s; p50 {p50:.1f} ms p99 {p99:.1f} ms")
    print(f"{label} answers {codes}")
    return rate


def wait_until_serving(port: int, path: str) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"nothing answered {path} on port {port}")


def children(pid: int) -> list[int]:
    """The processes a process has started and not yet waited for (Linux's count); none once it is gone."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def web_peaks(master: int) -> list[float]:
    """The peak resident memory, in MB, of each process gunicorn's master started (Linux's count)."""
    peaks = []
    for pid in children(master):
        with open(f"/proc/{pid}/status") as status:
            peaks += [int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:")]
    return peaks


def run_api(args) -> None:
    import http.client

    data_dir = fresh_database("api", history=args.history)
    env = env_for(data_dir)
    in_process(data_dir)
    from frontline.agents.models import Agent
    from frontline.agents.services import issue_api_token
    from frontline.customers.models import Customer

    _, token = issue_api_token(Agent.objects.get(user__username="tom"), "benchmark")
    customer_ids = list(Customer.objects.values_list("pk", flat=True)[:2000])
    rng = random.Random(7)
    bodies = [
        json.dumps(
            {
                "customer_id": rng.choice(customer_ids),
                "subject": f"Alert {n}",
                "body": f"Disk {n % 100}% full",
            }
        ).encode()
        for n in range(args.requests)
    ]
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
            "--access-logfile",
            "/dev/null",
        ],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(port, "/login/")

        def send(conn, n):
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"k{n}",
            }
            conn.request("POST", "/api/v1/messages", bodies[n], headers)
            response = conn.getresponse()
            response.read()
            return response.status

        ours = report(
            f"API POST /api/v1/messages, {args.clients} clients, gunicorn 2 workers",
            *drive(
                args.clients,
                args.requests,
                lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=30),
                send,
            ),
        )
        peaks = ", ".join(f"{mb:.0f} MB" for mb in web_peaks(server.pid))
        print(f"API web processes' peak memory (VmHWM, gunicorn's workers): {peaks}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    if not args.peer:
        return
    import peer_helpdesk

    peer_helpdesk.install()
    queue = peer_helpdesk.fresh_project()
    port = free_port()
    server = peer_helpdesk.serve(port)
    try:
        theirs = report(
            f"PEER django-helpdesk {peer_helpdesk.VERSION} POST /helpdesk/api/tickets/, "
            f"{args.clients} clients, gunicorn 2 workers, session",
            *drive(
                args.clients,
                args.requests,
                lambda: peer_helpdesk.SignedIn(port),
                lambda conn, n: conn.create_ticket(queue, n),
            ),
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"RATIO Frontline / django-helpdesk: {ours / theirs:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inproc")
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--grouping-rules", action="store_true", help="the demo's grouping rules saved first")
    p = sub.add_parser("smtp")
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--clients", type=int, default=4)
    p = sub.add_parser("api")
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--peer", action="store_true", help="then django-helpdesk's API the same way")
    sub.add_parser("all")
    for command in sub.choices.values():
        command.add_argument(
            "--history",
            type=int,
            default=20_000,
            help="finished cases seeded first, and the router trained on them (0: no router)",
        )
    args = parser.parse_args()
    if args.command == "all":
        history = [f"--history={args.history}"]
        for command, extra in (("inproc", []), ("smtp", []), ("api", ["--peer"])):
            subprocess.run([sys.executable, __file__, command, *history, *extra], check=True)
        return
    {"inproc": run_inproc, "smtp": run_smtp, "api": run_api}[args.command](args)


if __name__ == "__main__":
    main()
