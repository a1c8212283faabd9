"""Every command that starts children stops them when it is stopped (SIGTERM or SIGINT) and exits: no parser
process left running, no port left held."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from frontline.tests.helpers import free_port, wait_for, worker_env

pytestmark = [pytest.mark.subprocess]


def children_of(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:  # a zombie is gone, only not yet reaped
            stat = handle.read()
    except FileNotFoundError:  # reaped meanwhile
        return False
    return stat.split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.django_db(transaction=True)
def test_a_stopped_worker_leaves_no_parser_process_behind(stop_with):
    from frontline.intake import services
    from frontline.intake.models import RawMessage, RawStatus
    from frontline.intake.tasks import process_pending_messages

    # given a backlog big enough that the worker starts its parsing process
    for n in range(700):
        services.accept(f"From: a{n}@example.net\r\nSubject: s\r\n\r\nbody {n}\r\n".encode(), source="import")
    process_pending_messages.enqueue()
    worker = subprocess.Popen(
        [sys.executable, "-m", "frontline.cli", "worker", "--poll", "0.2", "--no-periodic"],
        env=worker_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: children_of(worker.pid), 60, "the worker's parsing process")
        helpers = children_of(worker.pid)
        # when it is stopped in the middle of the backlog
        worker.send_signal(stop_with)
        worker.wait(timeout=30)  # it ends after the chunk in hand, not after the whole backlog
        # then its helpers are gone too, and every message is either read or still waiting for the next run
        wait_for(lambda: not any(alive(pid) for pid in helpers), 10, "the parsing process to end")
        assert RawMessage.objects.count() == 700
        assert RawMessage.objects.exclude(status__in=[RawStatus.PENDING, RawStatus.PROCESSED]).count() == 0
    finally:
        if worker.poll() is None:
            worker.kill()


def test_a_worker_killed_outright_still_takes_its_helper_with_it():
    """Even kill -9, which runs no handler: the helper sees its parent gone and ends."""
    script = (
        "from frontline.intake import services; services._parser_pool().submit(int).result(); "
        "print('parsing', flush=True); import time; time.sleep(60)"
    )
    parent = subprocess.Popen(
        [sys.executable, "-m", "frontline.cli", "shell", "--no-imports", "-c", script],
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert parent.stdout.readline().strip() == "parsing"  # its helper has done a job
        helpers = children_of(parent.pid)
        assert helpers
        parent.kill()
        parent.wait(timeout=10)
        wait_for(lambda: not any(alive(pid) for pid in helpers), 10, "the orphaned helper to end")
    finally:
        if parent.poll() is None:
            parent.kill()


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_demo_stopped_with_sigterm_stops_its_server_worker_and_listener(tmp_path):
    web, smtp = free_port(), free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTLINE_", "DATABASE_URL"))}
    env = clean | {
        "FRONTLINE_DATA_DIR": str(tmp_path),
        "FRONTLINE_SMTPD_PORT": str(smtp),
        "FRONTLINE_SMS_URL": "json://127.0.0.1:9/sms/{number}",  # no stand-in gateway on a shared port
        "FRONTLINE_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "FRONTLINE_FAST_PASSWORD_HASHER": "true",
        "HOME": str(tmp_path / "home"),  # to see that nothing is written outside the project's data
    }
    env.pop("XDG_RUNTIME_DIR", None)
    (tmp_path / "home").mkdir()
    started: list[int] = []
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "frontline.cli",
            "demo",
            "--customers",
            "40",
            "--history-cases",
            "200",
            "--port",
            str(web),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        wait_for(lambda: answers(web) and answers(smtp), 180, "the demo to serve")
        started[:] = children_of(demo.pid)
        assert len(started) == 3  # gunicorn, the worker, the listener
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=40)
        wait_for(lambda: not any(alive(pid) for pid in started), 20, "the demo's processes to end")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (port_free(web) and port_free(smtp)):
            time.sleep(0.2)
        assert port_free(web) and port_free(smtp)
        assert list((tmp_path / "home").iterdir()) == []  # no ~/.gunicorn/gunicorn.ctl, nothing else
    finally:  # whatever happened, nothing this test started outlives it
        if demo.poll() is None:
            demo.kill()
        for pid in started + children_of(demo.pid):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
