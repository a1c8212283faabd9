"""`frontline demo`: migrate, build Northwind Hosting & Access, and serve it on 127.0.0.1."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from frontline.agents.models import Agent
from frontline.cases.search import clear_index
from frontline.cases.services import refresh_open_priorities
from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.demo import gateway
from frontline.demo.provider import DEMO_PASSWORD, STAFF, give_verification_history, seed
from frontline.demo.stories import build_stories
from frontline.measures import refresh as measures
from frontline.routing.services import train_router


class Command(BaseCommand):
    help = "Build the demo provider (once) and serve the workspace, the API and a worker on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Build the data only")
        parser.add_argument("--customers", type=int, default=3000)
        parser.add_argument("--history-cases", type=int, default=20000)
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--reset", action="store_true", help="Delete all data and build the demo again")

    def handle(self, *args, **options):
        call_command("migrate", verbosity=0)
        if options["reset"]:
            call_command("flush", interactive=False, verbosity=0)
            clear_index()
        if Agent.objects.exists():
            self.stdout.write("Demo data is already loaded (use --reset to build it again).")
        else:
            started = time.monotonic()
            now = clock.now()
            totals = seed(
                customers=options["customers"],
                cases=options["history_cases"],
                open_share=150 / max(options["history_cases"], 150),
                months=6,
                now=now,
            )
            try:  # the router learns topics and track records from the history just written
                router = train_router(via="seed")
                self.stdout.write(f"Trained router v{router.version} on {router.cases_used} resolved cases.")
            except ServiceError as exc:
                self.stdout.write(f"Router not trained: {exc}")
            build_stories(now)
            give_verification_history(now)  # else the first morning asks every contact to confirm itself
            refresh_open_priorities()  # history was scored when it happened; the inbox shows today's scores
            problems = measures.rebuild()  # the measures page shows the history at once, not after a pass
            self.stdout.write(f"Derived the measures of {problems} problems.")
            self.stdout.write(
                f"Built Northwind Hosting & Access: {totals.get('customers.Customer', 0)} customers, "
                f"{totals.get('cases.Case', 0)} historical cases and the five stories "
                f"in {time.monotonic() - started:.0f} s."
            )
        self._print_logins(options["port"])
        if not options["no_serve"]:
            self._serve(options["port"])

    def _print_logins(self, port):
        self.stdout.write(
            f"\nFrontline is at http://127.0.0.1:{port}/  (API: /api/v1/openapi.json, admin: /admin/)"
        )
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        for username, name, role, team, _ in STAFF:
            self.stdout.write(f"  {username:<8} {name:<16} {role.label:<13} {team}")
        self.stdout.write(
            f"Customers sign in at http://127.0.0.1:{port}/portal/sign-in/ (try sam@walkerblog.example or "
            "carmen@rivera-digital.example; the link is mailed to var/outbox/)"
        )

    def _serve(self, port):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "frontline.settings"}
        gateway_server = None
        if not settings.FRONTLINE_SMS_URL:  # no SMS provider configured: the demo's stand-in takes the texts
            try:
                gateway_server = gateway.serve(gateway.GATEWAY_PORT)
            except OSError as exc:
                self.stdout.write(f"No demo SMS gateway on port {gateway.GATEWAY_PORT} ({exc}): texts fail")
            else:
                env.update(gateway.gateway_settings(gateway.GATEWAY_PORT))
                self.stdout.write(f"SMS and calls go to the demo gateway; read them in {gateway.outbox()}")
        bindir = os.path.dirname(sys.executable)
        children = [
            subprocess.Popen(
                [
                    os.path.join(bindir, "gunicorn"),
                    "frontline.wsgi",
                    "--no-control-socket",  # else it writes ~/.gunicorn/gunicorn.ctl, outside the project
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                ],
                env=env,
            ),
            subprocess.Popen([os.path.join(bindir, "frontline"), "worker"], env=env),
            subprocess.Popen([os.path.join(bindir, "frontline"), "smtpd"], env=env),
        ]
        self.stdout.write(
            f"Serving with gunicorn, one worker and the mail listener (SMTP on {settings.SMTPD_HOST}:"
            f"{settings.SMTPD_PORT}); data in {settings.DATA_DIR}. Ctrl-C stops."
        )
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except (KeyboardInterrupt, SystemExit):  # Ctrl-C, or SIGTERM (frontline.cli makes it SystemExit)
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:  # it would not stop: it must not keep the port
                    child.kill()
                    child.wait()
            if gateway_server is not None:
                gateway_server.shutdown()
