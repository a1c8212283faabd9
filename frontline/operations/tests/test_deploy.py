"""deploy/: the Compose file and the systemd units start the roles of `operations.processes` (the ones the
scale-out tests start), each configured by the one environment file; and two roles started here as a
deployment starts them answer for real, logging JSON with their request ids."""

import configparser
import json
import os
import re
import shlex
import smtplib
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml

from frontline.intake.models import RawMessage
from frontline.operations.processes import ROLES, yield_cpu_if_job_runner
from frontline.tests.helpers import free_port, role_command, stop_process, wait_for, worker_env

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
SETTINGS = Path(__file__).resolve().parents[2] / "settings.py"
UNIT_OF = {"worker": "frontline-worker@.service"}  # a template: one instance per worker


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _unit(role: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # systemd's keys are case-sensitive
    unit.read_string((DEPLOY / "systemd" / UNIT_OF.get(role, f"frontline-{role}.service")).read_text())
    return unit


def test_each_compose_service_runs_a_role_with_the_one_environment_file():
    services = _compose()["services"]
    for role, command in ROLES.items():
        service = services[role]
        assert service["command"] == command, role
        assert service["env_file"] == ["frontline.env"], role
        assert "build" in service or "image" in service
    # and the roles that take mail and requests are published; the rest talk only to the databases
    assert services["web"]["environment"]["FRONTLINE_BIND"] == "0.0.0.0:8000"
    assert services["smtpd"]["environment"]["FRONTLINE_SMTPD_PORT"] == "2525"
    assert services["worker"]["deploy"]["replicas"] == 2


def test_each_systemd_unit_runs_a_role_from_the_environment_file():
    for role, command in ROLES.items():
        service = _unit(role)["Service"]
        program, *args = shlex.split(service["ExecStart"])
        assert program == f"/opt/frontline/.venv/bin/{command[0]}", role
        assert args == command[1:], role
        assert service["EnvironmentFile"] == "/etc/frontline/frontline.env", role
        assert service["User"] == "frontline", role
    assert "frontline-migrate.service" in _unit("web")["Unit"]["After"]


def test_the_environment_file_names_only_settings_frontline_reads():
    read = set(re.findall(r'env_\w+\("([A-Z_]+)"', SETTINGS.read_text()))
    named = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "frontline.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert named - read == set()
    assert {"DATABASE_URL", "FRONTLINE_REDIS_URL", "FRONTLINE_TASKS_BACKEND", "FRONTLINE_SECRET_KEY"} <= named


def _start(role: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        role_command(role), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_the_web_role_serves_with_its_configuration_and_logs_json_with_request_ids():
    # given the web role started as a deployment starts it, configured by environment only
    port = free_port()
    env = worker_env(
        FRONTLINE_BIND=f"127.0.0.1:{port}",
        FRONTLINE_WEB_WORKERS="2",
        FRONTLINE_WEB_THREADS="2",
        FRONTLINE_LOG_FORMAT="json",
    )
    web = _start("web", env)
    try:
        # when a load balancer asks whether it is ready
        def ready():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                    return response.status, response.headers["X-Request-ID"]
            except OSError:
                return None

        status, request_id = wait_for(ready, 60, "the web role to answer")
    finally:
        output = _stop(web)
    # then it is, with threaded processes as asked, and its access log is JSON naming the same request
    assert status == 200
    assert "Using worker: gthread" in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    [access] = [line for line in lines if line.get("path") == "/readyz"]
    assert access["request_id"] == request_id and access["status"] == 200
    assert access["logger"] == "gunicorn.access"


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_the_smtpd_role_stores_mail_before_its_250():
    port = free_port()
    env = worker_env(
        FRONTLINE_SMTPD_HOST="127.0.0.1", FRONTLINE_SMTPD_PORT=str(port), FRONTLINE_LOG_FORMAT="json"
    )
    smtpd = _start("smtpd", env)
    try:

        def connected():
            try:
                return smtplib.SMTP("127.0.0.1", port, timeout=5)
            except OSError:
                return None

        client = wait_for(connected, 60, "the smtpd role to listen")
        refused = client.sendmail(
            "sam@walkerblog.example",
            ["support@northwind.example"],
            b"From: sam@walkerblog.example\r\nSubject: down\r\n\r\nThe blog is down.\r\n",
        )
        client.quit()
    finally:
        _stop(smtpd)
    assert refused == {}  # 250 for every recipient
    [stored] = [bytes(row.raw) for row in RawMessage.objects.all()]
    assert stored.endswith(b"The blog is down.\r\n")


def _niceness_after(args: list[str]) -> int:
    """The niceness a process has after `frontline <args>` took its own (in a forked child: the test's
    process keeps its priority)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            yield_cpu_if_job_runner(args)
            os.write(write, str(os.getpriority(os.PRIO_PROCESS, 0)).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as answer:
        return int(answer.read())


def test_job_runners_yield_the_cpu_and_the_other_roles_keep_their_priority(settings):
    # given the niceness a deployment sets for job runners, and this process's own
    settings.FRONTLINE_WORKER_NICENESS = 10
    own = os.getpriority(os.PRIO_PROCESS, 0)
    # when each role's command takes its priority, then the job runners are nicer and nothing else is
    assert _niceness_after(ROLES["worker"][1:]) == max(own, 10)
    assert _niceness_after(["worker", "--poll", "1"]) == max(own, 10)  # the durable queue's job runner
    assert _niceness_after(ROLES["periodic"][1:]) == own  # the queue's clock
    assert _niceness_after(ROLES["smtpd"][1:]) == own  # a mail server waits for its 250
    # and a setting of 0 leaves a job runner as it was started
    settings.FRONTLINE_WORKER_NICENESS = 0
    assert _niceness_after(ROLES["worker"][1:]) == own


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_the_worker_role_runs_its_jobs_at_the_configured_niceness():
    # given a job runner started as a deployment starts it, with the niceness in its environment
    worker = subprocess.Popen(
        role_command("durable-worker", "--poll", "0.2", "--worker-id", "nice"),
        env=worker_env(FRONTLINE_WORKER_NICENESS="10"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # then, once started, it runs nicer than the processes someone waits on
        wait_for(lambda: os.getpriority(os.PRIO_PROCESS, worker.pid) >= 10, 30, "the worker to yield the CPU")
    finally:
        stop_process(worker)
