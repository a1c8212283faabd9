"""The real chain, from Debian's packages: Prometheus scrapes a small exporter this test serves on loopback,
a rule fires when the test sets the site down, Alertmanager posts to a live Frontline server, the case
opens and the customer's first notice is recorded with the SMTP server's answer; then the site comes back
and Alertmanager's resolved post resolves the case and asks Sam to confirm."""

import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from frontline.cases.models import Case, CaseStatus
from frontline.delivery.models import AttemptStatus, DeliveryAttempt
from frontline.monitoring.models import AlertPost
from frontline.monitoring.tests.payloads import SECRET
from frontline.notifications import services as notifications
from frontline.tests.helpers import free_port, run_queued_jobs, wait_for

pytestmark = [pytest.mark.subprocess, pytest.mark.django_db(transaction=True)]

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"


class Exporter(BaseHTTPRequestHandler):
    up = 1

    def do_GET(self):
        body = (
            f'# TYPE site_up gauge\nsite_up{{site="walkerblog.example",instance="web-07"}} {Exporter.up}\n'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _write(path, text: str):
    path.write_text(text)
    return path


@pytest.fixture
def chain(tmp_path, live_server):
    """The exporter, Prometheus and Alertmanager on loopback ports, configured by files written here."""
    exporter = ThreadingHTTPServer(("127.0.0.1", 0), Exporter)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    am_port, prom_port = free_port(), free_port()
    _write(
        tmp_path / "rules.yml",
        """groups:
- name: sites
  rules:
  - alert: SiteDown
    expr: site_up == 0
    labels: {severity: page}
    annotations: {summary: "{{ $labels.site }} answers 503"}
""",
    )
    prometheus_yml = _write(
        tmp_path / "prometheus.yml",
        f"""global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{tmp_path / "rules.yml"}"]
alerting:
  alertmanagers: [{{static_configs: [{{targets: ["127.0.0.1:{am_port}"]}}]}}]
scrape_configs:
- job_name: sites
  honor_labels: true
  static_configs: [{{targets: ["127.0.0.1:{exporter.server_address[1]}"]}}]
""",
    )
    alertmanager_yml = _write(
        tmp_path / "alertmanager.yml",
        f"""route:
  receiver: frontline
  group_by: [alertname, site]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: frontline
  webhook_configs:
  - url: "{live_server.url}/monitoring/hooks/alertmanager/"
    send_resolved: true
    http_config:
      authorization: {{type: Bearer, credentials: "{SECRET}"}}
""",
    )
    Exporter.up = 1
    processes = [
        subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={alertmanager_yml}",
                f"--storage.path={tmp_path / 'am'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={prometheus_yml}",
                f"--storage.tsdb.path={tmp_path / 'prom'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    yield Exporter
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    exporter.shutdown()
    exporter.server_close()


def _worker_until(predicate, seconds: float, what: str):
    """The worker's loop, in this process: read what was posted, run the ladders, until it holds."""

    def worked():
        run_queued_jobs()
        notifications.dispatch_due()
        run_queued_jobs()
        return predicate()

    wait_for(worked, seconds, what)


def test_prometheus_and_alertmanager_open_sams_case_and_his_notice_is_sent(
    chain, alertmanager, sam_monitored, smtp_server, tom
):
    # given the site answers: nothing fires
    # when the test sets it down, Prometheus's rule fires and Alertmanager posts to Frontline
    chain.up = 0
    _worker_until(lambda: Case.objects.exists(), 60, "Alertmanager's post to open Sam's case")
    case = Case.objects.get()
    assert case.customer == sam_monitored.customer and case.impact == "down"
    assert AlertPost.objects.filter(status="read").exists()
    # then Sam's first notice is recorded with the SMTP server's own answer
    _worker_until(
        lambda: DeliveryAttempt.objects.filter(
            notification__case=case, status=AttemptStatus.ACCEPTED
        ).exists(),
        30,
        "the first notice's email",
    )
    sent = DeliveryAttempt.objects.get(notification__case=case, status=AttemptStatus.ACCEPTED)
    assert sent.address.lower() == "sam@walkerblog.example" and "queued as TEST123" in sent.reply_text
    # and when it answers again, the resolved post resolves the case and asks Sam to confirm
    chain.up = 1
    _worker_until(
        lambda: Case.objects.get().status == CaseStatus.RESOLVED, 60, "Alertmanager's resolved post"
    )
    assert case.notifications.filter(title__startswith="Fixed:").exists()
