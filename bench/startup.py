"""Start-up time and idle memory: what a process pays before it does any work.

Measures, on a migrated database of its own under a temporary directory:
- wall time of two CLI commands (`frontline check`, `frontline import-mail` on an empty folder), best of N;
- resident memory (RSS) of an idle `frontline worker` and of an idle gunicorn web worker that has answered
  one request (the sign-in page), a few seconds after start;
- whether each of them has loaded scikit-learn (the routing model's library) by then.

    .venv/bin/python bench/startup.py [--runs 5] [--root /path/to/another/checkout]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from intake import children

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def env_for(data_dir: str, root: Path) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTLINE_", "DATABASE_URL"))}
    return clean | {"FRONTLINE_DATA_DIR": data_dir, "PYTHONPATH": str(root)}


def timed(command: list[str], env: dict, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True, cwd=env["PYTHONPATH"])
        best = min(best, time.perf_counter() - started)
    return best


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def loaded_sklearn(pid: int) -> bool:
    return "sklearn" in Path(f"/proc/{pid}/maps").read_text()


def idle(command: list[str], env: dict, *, url: str = "", settle: float = 4.0) -> tuple[float, bool]:
    # In the checkout measured: `-m` and gunicorn put the working directory first on the import path.
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=env["PYTHONPATH"]
    )
    try:
        deadline = time.monotonic() + 60
        if url:
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(url, timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
        time.sleep(settle)
        pids = children(process.pid) or [process.pid]  # gunicorn's worker, not its arbiter
        pid = pids[0]
        return rss_mib(pid), loaded_sklearn(pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure (an older commit)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        env = env_for(data_dir, args.root)
        cli = [PYTHON, "-m", "frontline.cli"]
        subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, cwd=args.root)
        empty = Path(data_dir) / "empty"
        empty.mkdir()
        seconds = timed([*cli, "check"], env, args.runs)
        print(f"frontline check:              {seconds:.2f} s (best of {args.runs})")
        seconds = timed([*cli, "import-mail", str(empty)], env, args.runs)
        print(f"frontline import-mail (empty): {seconds:.2f} s (best of {args.runs})")
        worker, worker_sklearn = idle([*cli, "worker", "--no-periodic"], env)
        print(f"worker, idle:                 {worker:.0f} MiB RSS, scikit-learn loaded: {worker_sklearn}")
        port = "18765"
        web, web_sklearn = idle(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "--no-control-socket",
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "frontline.wsgi",
            ],
            env,
            url=f"http://127.0.0.1:{port}/login/",
        )
        print(f"web worker, one request:      {web:.0f} MiB RSS, scikit-learn loaded: {web_sklearn}")


if __name__ == "__main__":
    main()
