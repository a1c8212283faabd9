"""/metrics: Prometheus's text format, read from the shared state when scraped, for the scraper holding the
metrics token; and the alert rules shipped in deploy/ checked and unit-tested by promtool itself."""

import datetime
import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from frontline.cases import services as cases
from frontline.core import clock
from frontline.delivery.models import DeliveryAttempt
from frontline.intake import services as intake
from frontline.intake.models import AcknowledgementDue, Source
from frontline.notifications import services as notifications
from frontline.notifications.tasks import dispatch_ladders
from frontline.tests.helpers import free_port, run_queued_jobs, uses_rq, wait_for
from frontline.webhooks import services as webhooks

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
TOKEN = "scrape-secret"
DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def scrape(client, at) -> dict:
    """{(sample name, labels as sorted pairs): value} of one scrape at `at`."""
    with clock.frozen_at(at):
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _mail(n: int) -> bytes:
    return (
        f"From: sam@walkerblog.example\r\nTo: support@northwind.example\r\nSubject: down {n}\r\n"
        f"Message-ID: <m{n}@walkerblog.example>\r\n\r\nThe blog is down.\r\n"
    ).encode()


def _attempt(channel: str, status: str, customer) -> None:
    DeliveryAttempt.objects.create(
        customer=customer, channel=channel, address="x", status=status, attempted_at=T0
    )


@pytest.mark.django_db
def test_a_scrape_reads_the_backlog_the_queue_the_ladders_the_fanouts_and_the_failures(
    client, settings, sam, sam_person, ada, receiver, django_capture_on_commit_callbacks
):
    settings.FRONTLINE_METRICS_TOKEN = TOKEN
    # given a webhook receiver that answers 503 to the one event it gets
    receiver.answers["/hook"] = (503, 0.0)
    with django_capture_on_commit_callbacks(execute=True):  # the subscriptions are read again on commit
        webhooks.subscribe(name="bridge", url=f"{receiver.url}/hook", kinds=["case.opened"], by=ada)
    with clock.frozen_at(T0 - datetime.timedelta(minutes=5)):
        with django_capture_on_commit_callbacks(execute=True):  # RQ is handed its jobs at the commit
            case = cases.open_case(
                customer=sam, requester=sam_person, subject="Down", body="down", channel="email"
            )
        run_queued_jobs()  # a worker takes what the case queued: the webhooks' delivery among it
    # and, at T0, two messages stored and not yet read and one read and quarantined (no sender)
    with clock.frozen_at(T0):
        for n in (1, 2):
            intake.accept(_mail(n), source=Source.SMTP)
        unreadable, _ = intake.accept(b"this is not mail at all", source=Source.SMTP)
        assert intake.process(unreadable).status == "quarantined"
        # and a notice whose first rung fell due then, a fan-out to Sam, and a job waiting for a worker
        notifications.notify(
            sam, subject_kind="incident", subject_id="INC-1", title="web-07 down", body="On it."
        )
        fanout = notifications.fan_out(
            subject_kind="incident", subject_id="INC-1", title="web-07 down", body="On it.", customers=[sam]
        )
        dispatch_ladders.enqueue()
        # and that case's acknowledgement not yet taken by a worker
        AcknowledgementDue.objects.create(case=case, due_at=clock.now())
    # and the newest attempts to reach customers: three emails accepted, one text refused
    for _ in range(3):
        _attempt("email", "accepted", sam)
    _attempt("sms", "refused", sam)

    # when Prometheus scrapes ninety seconds later
    seen = scrape(client, T0 + datetime.timedelta(seconds=90))

    # then the intake's figures: what was stored, what waits and for how long
    assert seen[("frontline_intake_messages_stored_total", ())] >= 3
    assert seen[("frontline_intake_backlog", ())] == 2
    assert seen[("frontline_intake_oldest_waiting_seconds", ())] == 90
    assert seen[("frontline_acknowledgements_due", ())] == 1
    assert seen[("frontline_acknowledgements_oldest_due_seconds", ())] == 90
    # and the queue's
    assert seen[("frontline_queue_jobs", (("state", "due"),))] == 1
    if not uses_rq():
        assert seen[("frontline_queue_oldest_due_seconds", ())] == 90
    # and the ladders': both first rungs due and untaken for ninety seconds
    assert seen[("frontline_ladder_rungs", (("state", "due"),))] == 2
    assert seen[("frontline_ladder_lateness_seconds", ())] == 90
    # and the fan-out's progress
    assert seen[("frontline_fanout_customers", (("fanout", str(fanout.pk)),))] == 1
    assert seen[("frontline_fanout_stored", (("fanout", str(fanout.pk)),))] == 1
    assert seen[("frontline_fanout_notices", (("fanout", str(fanout.pk)), ("state", "active")))] == 1
    assert seen[("frontline_fanout_notices", (("fanout", str(fanout.pk)), ("state", "acknowledged")))] == 0
    # and what the customers' gateways and the webhook receiver answered
    assert seen[("frontline_delivery_recent_attempts", (("channel", "email"), ("status", "accepted")))] == 3
    assert seen[("frontline_delivery_recent_attempts", (("channel", "sms"), ("status", "refused")))] == 1
    assert seen[("frontline_webhook_recent_answers", (("answer", "5xx"),))] == 1
    assert seen[("frontline_webhook_deliveries_waiting", ())] == 1
    # and the errors by kind
    assert seen[("frontline_errors", (("kind", "intake_quarantined"),))] == 1
    assert seen[("frontline_errors", (("kind", "delivery_failed_recently"),))] == 1
    assert seen[("frontline_errors", (("kind", "webhook_failing"),))] == 1


@pytest.mark.django_db
def test_a_rung_taken_by_a_worker_is_no_longer_late(client, settings, sam):
    settings.FRONTLINE_METRICS_TOKEN = TOKEN
    # given a notice whose first rung fell due at T0
    with clock.frozen_at(T0):
        notifications.notify(sam, subject_kind="incident", subject_id="INC-2", title="Down", body="On it.")
    assert (
        scrape(client, T0 + datetime.timedelta(seconds=30))[("frontline_ladder_lateness_seconds", ())] == 30
    )
    # when a worker claims it
    with clock.frozen_at(T0 + datetime.timedelta(seconds=40)):
        notifications.dispatch_due()
    # then it is claimed, not due, and nothing is late
    seen = scrape(client, T0 + datetime.timedelta(seconds=50))
    assert seen[("frontline_ladder_lateness_seconds", ())] == 0
    assert seen[("frontline_ladder_rungs", (("state", "due"),))] == 0
    assert seen[("frontline_ladder_rungs", (("state", "claimed"),))] == 1


def test_metrics_are_off_without_a_token_and_closed_to_a_wrong_one(client, settings):
    # no database: a refused scrape reads nothing
    settings.FRONTLINE_METRICS_TOKEN = ""
    off = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert off.status_code == 403 and "FRONTLINE_METRICS_TOKEN" in off.json()["detail"]
    settings.FRONTLINE_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secreT").status_code == 401


def test_the_shipped_alert_rules_are_valid_and_fire_as_their_unit_tests_say():
    rules, tests = (
        DEPLOY / "prometheus" / "frontline-alerts.yml",
        DEPLOY / "prometheus" / "frontline-alerts-test.yml",
    )
    checked = subprocess.run([PROMTOOL, "check", "rules", str(rules)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 10 rules found" in checked.stdout
    tested = subprocess.run([PROMTOOL, "test", "rules", str(tests)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_prometheus_scrapes_the_live_server_with_the_shipped_configuration(live_server, settings, tmp_path):
    # given the shipped scrape configuration and alert rules, pointed at a live server and a token file
    settings.FRONTLINE_METRICS_TOKEN = TOKEN
    (tmp_path / "token").write_text(TOKEN)
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(DEPLOY / "prometheus" / "frontline-alerts.yml")]
    [job] = config["scrape_configs"]
    job["authorization"]["credentials_file"] = str(tmp_path / "token")
    job["static_configs"] = [{"targets": [live_server.url.removeprefix("http://")]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    # and one message stored and not yet read
    intake.accept(_mail(1), source=Source.SMTP)
    port = free_port()
    prometheus = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # when Prometheus has scraped, then it holds the backlog as Frontline counted it
        def backlog():
            query = urllib.parse.urlencode({"query": "frontline_intake_backlog"})
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?{query}", timeout=5) as r:
                    result = json.load(r)["data"]["result"]
            except OSError:
                return None
            return result[0]["value"][1] if result else None

        wait_for(lambda: backlog() == "1", 60, "Prometheus to scrape the backlog")
        # and its target is healthy and every shipped rule loaded
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/targets", timeout=5) as r:
            [target] = json.load(r)["data"]["activeTargets"]
        assert target["health"] == "up" and target["labels"]["job"] == "frontline"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/rules", timeout=5) as r:
            [group] = json.load(r)["data"]["groups"]
        assert len(group["rules"]) == 10 and all(rule["health"] != "err" for rule in group["rules"])
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=10)
