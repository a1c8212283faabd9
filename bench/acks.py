"""What an acknowledgement costs, in-process (issue 22): new cases opened through the API, then their
acknowledgements sent in batches, as a worker sends them, to an SMTP server on 127.0.0.1. Prints the CPU of
this process and of its PostgreSQL backend per acknowledgement; nothing here passes or fails.

    export DATABASE_URL=postgres://frontline:frontline@127.0.0.1:5432/frontline_bench
    python -u bench/acks.py --data-dir bench/out/scale --count 600

Acknowledgements already due in the database are cleared first: the figure is the run's own.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import free_port, wait_until_listening  # noqa: E402
from scale import cpu_seconds, in_process  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--count", type=int, default=600)
    args = parser.parse_args()
    smtp_port = free_port()
    os.environ.update(
        {
            "FRONTLINE_EMAIL_BACKEND": "frontline.delivery.smtp.EmailBackend",
            "FRONTLINE_SMTP_HOST": "127.0.0.1",
            "FRONTLINE_SMTP_PORT": str(smtp_port),
            "FRONTLINE_TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",  # sent below, not queued
        }
    )
    in_process(Path(args.data_dir).resolve())
    peer = subprocess.Popen([sys.executable, str(ROOT / "bench" / "notify.py"), "smtp-peer", str(smtp_port)])
    try:
        measure(args.count, smtp_port)
    finally:
        peer.terminate()
        peer.wait(timeout=30)


def measure(count: int, smtp_port: int) -> None:
    # Django is set up by main (in_process); its modules are imported here for that reason.
    from django.db import connection
    from django.test import Client

    from frontline.agents.models import Agent
    from frontline.agents.services import issue_api_token
    from frontline.customers.models import Customer
    from frontline.intake import acknowledgements
    from frontline.intake.models import AcknowledgementDue

    wait_until_listening(smtp_port, "the SMTP peer")
    _, token = issue_api_token(Agent.objects.filter(user__is_active=True).order_by("pk").first(), "acks")
    everyone = list(Customer.objects.values_list("pk", flat=True))
    client, rng, run = Client(), random.Random(time.time()), f"{time.time():.0f}"
    AcknowledgementDue.objects.all().delete()
    for i in range(count):
        body = {"customer_id": rng.choice(everyone), "subject": f"Outage {run}-{i}", "body": "Nothing loads"}
        answer = client.post(
            "/api/v1/messages",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY=f"acks-{run}-{i}",
        )
        assert answer.status_code in (200, 201), answer.content
    due = AcknowledgementDue.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu, pg, wall = time.process_time(), cpu_seconds(backend), time.perf_counter()
    sent = 0
    while taken := acknowledgements.send_due():
        sent += taken
    cpu, pg, wall = time.process_time() - cpu, cpu_seconds(backend) - pg, time.perf_counter() - wall
    print(
        f"RESULT {due} acknowledgements due, {sent} sent: this process {cpu / sent * 1000:.2f} ms, "
        f"PostgreSQL {pg / sent * 1000:.2f} ms, wall {wall / sent * 1000:.2f} ms an acknowledgement"
    )


if __name__ == "__main__":
    main()
