import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from frontline.intake import smtpd


class Command(BaseCommand):
    help = "Listen for mail by SMTP (or LMTP) on loopback, store it, and read it into cases."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.SMTPD_HOST)
        parser.add_argument("--port", type=int, default=settings.SMTPD_PORT)
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP (for delivery from Postfix)")
        parser.add_argument(
            "--no-process", action="store_true", help="only store; `frontline worker` reads what is stored"
        )

    def handle(self, *args, host, port, lmtp, no_process, **options):
        controller, processor = smtpd.start(host=host, port=port, lmtp=lmtp, process=not no_process)
        protocol = "LMTP" if lmtp else "SMTP"
        self.stdout.write(f"Frontline intake: {protocol} on {host}:{port}", ending="\n")
        self.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        controller.stop()
        if processor:
            processor.stop()
            processor.join(timeout=30)
