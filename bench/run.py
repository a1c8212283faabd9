"""Frontline's benchmarks. They print figures; nothing here passes or fails.

    python bench/run.py seed  --data-dir bench/out/seed --customers 100000 --cases 1000000
    python bench/run.py http  --data-dir bench/out/seed [--requests 200]
    python bench/run.py all   (both, with the sizes of issue #2)

`http` serves the seeded database with gunicorn on 127.0.0.1 only, and measures the inbox (plain, each
filter, a search), case pages and the API list through real HTTP with keep-alive, one request at a time.
It stops by itself. Query counts are taken in-process with Django's test client against the same data.
"""

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(data_dir: Path) -> dict:
    # Seeded staff passwords are hashed with the fast test hasher (PBKDF2 would add seconds to the seed
    # figure for sixteen logins); the server that signs them in must know that hasher too.
    return {
        **os.environ,
        "FRONTLINE_DATA_DIR": str(data_dir.resolve()),
        "DJANGO_SETTINGS_MODULE": "frontline.settings",
        "FRONTLINE_FAST_PASSWORD_HASHER": "1",
    }


def run_seed(args) -> None:
    data_dir = Path(args.data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        sys.exit(f"{data_dir} is not empty: a seed benchmark starts from an empty database")
    env = env_for(data_dir)
    subprocess.run([BIN / "frontline", "migrate", "-v0"], env=env, check=True)
    started = time.monotonic()
    subprocess.run(
        [BIN / "frontline", "seed", "--customers", str(args.customers), "--cases", str(args.cases)],
        env=env,
        check=True,
    )
    print(f"SEED customers={args.customers} cases={args.cases} seconds={time.monotonic() - started:.1f}")
    size = sum(p.stat().st_size for p in data_dir.glob("frontline.sqlite3*"))
    print(f"SEED database size: {size / 2**30:.2f} GiB")


def prepare(data_dir: Path) -> dict:
    """In-process: an API token, targets to request, and the query count of each target."""
    os.environ.update(env_for(data_dir))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from frontline.agents.models import Agent
    from frontline.agents.services import issue_api_token
    from frontline.cases.models import Case

    tom = Agent.objects.get(user__username="tom")
    _, token = issue_api_token(tom, "benchmark")
    case_refs = [
        f"C-{pk}"
        for pk in Case.objects.filter(is_open=True).order_by("-priority").values_list("pk", flat=True)[:40]
    ]
    case_refs += [f"C-{pk}" for pk in Case.objects.filter(is_open=False).values_list("pk", flat=True)[:10]]
    targets = {
        "inbox": "/",
        "inbox mine": "/?who=mine",
        "inbox unassigned": "/?who=unassigned",
        "inbox status=new": "/?status=new",
        "inbox topic=dns": "/?topic=dns",
        # A phrase that thousands of cases contain, and what agents mostly type: a customer's domain.
        "inbox search 'certificate expired'": "/?q=certificate+expired",
        "inbox search a domain": None,
        "inbox page 2": None,  # filled below from page 1's cursor
        "case page": [f"/cases/{ref}/" for ref in case_refs],
        "customer page": None,  # the customers of those cases, filled below
        # Reads the merge, split and incident-link events of all time: the events table's largest reader.
        "correlation page": "/correlation/",
        "api cases list": "/api/v1/cases",
    }
    client = Client()
    client.force_login(tom.user)
    first = client.get("/").content.decode()
    cursor = re.search(r"after=([A-Za-z0-9_-]+)", first)
    targets["inbox page 2"] = f"/?after={cursor.group(1)}" if cursor else "/"
    domains = [
        case.customer.units.filter(kind="site").values_list("name", flat=True).first()
        for case in Case.objects.filter(is_open=True).select_related("customer")[:20]
    ]
    targets["inbox search a domain"] = [f"/?q={domain}" for domain in domains if domain]
    owners = Case.objects.filter(pk__in=[int(ref[2:]) for ref in case_refs]).values_list(
        "customer_id", flat=True
    )
    targets["customer page"] = [f"/customers/{pk}/" for pk in owners]
    counts = {}
    for name, paths in targets.items():
        path = paths[0] if isinstance(paths, list) else paths
        with CaptureQueriesContext(connection) as queries:
            headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
            client.get(path, headers=headers)
        counts[name] = len(queries)
    return {"token": token, "targets": targets, "queries": counts}


class Session:
    """One keep-alive HTTP connection to the benchmarked server, signed in as an agent."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            if method != "GET":
                raise
            # The server closed the kept-alive connection while it was idle (gunicorn's threaded workers do
            # after 2 s): a read is asked again on a new one.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def sign_in(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = f"username={username}&password={password}&csrfmiddlewaretoken={token}"
        status, _ = self.request(
            "POST",
            "/login/",
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": "http://127.0.0.1/login/"},
        )
        if status != 302:
            sys.exit(f"sign-in failed with {status}")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def wait_until_listening(port: int, what: str) -> None:
    """Until something accepts connections on the port on 127.0.0.1; the benchmark ends after 30 s."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"{what} did not start")
            time.sleep(0.2)


def run_http(args) -> None:
    data_dir = Path(args.data_dir)
    plan = prepare(data_dir)
    port = free_port()
    server = subprocess.Popen(
        [
            BIN / "gunicorn",
            "frontline.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env_for(data_dir),
        cwd=ROOT,
    )
    try:
        wait_until_listening(port, "gunicorn")
        session = Session(port)
        session.sign_in("tom", "northwind-demo")
        api_headers = {"Authorization": f"Bearer {plan['token']}"}
        results = {}
        for name, paths in plan["targets"].items():
            paths = paths if isinstance(paths, list) else [paths]
            headers = api_headers if paths[0].startswith("/api/") else {}
            for i in range(args.warmup):
                session.request("GET", paths[i % len(paths)], headers=headers)
            timings = []
            for i in range(args.requests):
                started = time.perf_counter()
                status, _ = session.request("GET", paths[i % len(paths)], headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    sys.exit(f"{name}: {paths[i % len(paths)]} answered {status}")
            results[name] = {
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(percentile(timings, 95), 1),
                "p99_ms": round(percentile(timings, 99), 1),
                "requests": len(timings),
                "queries": plan["queries"][name],
            }
            r = results[name]
            print(
                f"HTTP {name:<36} p50 {r['p50_ms']:>7.1f} ms  p95 {r['p95_ms']:>7.1f} ms  "
                f"p99 {r['p99_ms']:>7.1f} ms  queries {r['queries']}"
            )
        children = [
            int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        ]
        memory = {
            "master_mib": round(rss_mib(server.pid), 1),
            "workers_mib": [round(rss_mib(p), 1) for p in children],
        }
        print(f"RSS gunicorn master {memory['master_mib']} MiB, workers {memory['workers_mib']} MiB")
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        (out / "http.json").write_text(json.dumps({"results": results, "memory": memory}, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["seed", "http", "all"])
    parser.add_argument("--data-dir", default=str(ROOT / "bench" / "out" / "seed"))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    if args.what in ("seed", "all"):
        run_seed(args)
    if args.what in ("http", "all"):
        run_http(args)


if __name__ == "__main__":
    main()
