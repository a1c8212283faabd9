"""What the fault tests share: a deployment's roles started as real processes, a sending mail server that
retries temporary refusals as MTAs do, and a look at a process's memory."""

import random
import smtplib
import subprocess
import time
from contextlib import contextmanager
from urllib.parse import urlparse

from django.db import connection, transaction

from frontline.core.db import machine_lock
from frontline.tests.helpers import role_command, wait_for


def start(role: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(role_command(role), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def resident_mb(pid: int) -> float:
    """The process's resident memory now, in MiB (Linux's own count)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def mail(n: int, *, size: int = 2000, tag: str = "flood") -> tuple[str, bytes]:
    message_id = f"<{tag}-{n}@walkerblog.example>"
    body = "\r\n".join(["The blog is down again, and the shop with it."] * (size // 47 + 1))
    raw = (
        f"From: sam@walkerblog.example\r\nTo: support@northwind.example\r\nSubject: down {n}\r\n"
        f"Message-ID: {message_id}\r\n\r\n{body}\r\n"
    ).encode()
    return message_id, raw


def listening(port: int) -> None:
    def answers():
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                return client.noop()[0] == 250
        except (OSError, smtplib.SMTPException):
            return False

    wait_for(answers, 60, "the listener to answer")


def send_once(port: int, raw: bytes) -> int:
    """One attempt to deliver `raw`, as a sending server makes it: the code it ended with."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
            client.sendmail("sam@walkerblog.example", ["support@northwind.example"], raw)
            return 250
    except smtplib.SMTPConnectError as exc:  # refused at the greeting
        return exc.smtp_code
    except smtplib.SMTPSenderRefused as exc:
        return exc.smtp_code
    except smtplib.SMTPDataError as exc:
        return exc.smtp_code
    except smtplib.SMTPRecipientsRefused as exc:
        return next(iter(exc.recipients.values()))[0]
    except (smtplib.SMTPServerDisconnected, OSError):
        return 0  # no answer at all: the sender cannot know, and tries again


def deliver(port: int, raw: bytes, answers: list, *, tries: int = 400) -> None:
    """Deliver `raw` as an MTA does: a temporary refusal (or no answer) is tried again a little later."""
    for _ in range(tries):
        code = send_once(port, raw)
        answers.append(code)
        if code == 250 or 500 <= code < 600:
            return
        time.sleep(random.uniform(0.02, 0.2))


@contextmanager
def intake_writes_held():
    """Another writer holds intake's table: stores wait (SQLite's machine-wide write lock; PostgreSQL's
    table lock, held by this test's connection)."""
    if connection.vendor == "sqlite":
        with machine_lock("write", wait_seconds=30):
            yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE intake_rawmessage IN EXCLUSIVE MODE")
        yield


def restart_redis(url: str) -> None:
    """Stop the Redis server at `url` without saving (its queues are lost, as in a crash) and start it again
    with the flags .ci/run starts it with."""
    port = str(urlparse(url).port or 6379)

    def answers() -> bool:
        ping = subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True, text=True)
        return ping.stdout.strip() == "PONG"

    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], capture_output=True)
    wait_for(lambda: not answers(), 30, "Redis to stop")
    subprocess.run(
        [
            *("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", port),
            *("--save", "", "--appendonly", "no"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wait_for(answers, 30, "Redis to start again")


def supervise(processes: list, commands: list, env: dict) -> None:
    """What systemd's Restart=always does: a role's process that has exited is started again."""
    for n, process in enumerate(processes):
        if process.poll() is not None:
            processes[n] = subprocess.Popen(commands[n], env=env, stderr=subprocess.DEVNULL)
