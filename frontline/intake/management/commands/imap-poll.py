import os
import time

from django.core.management.base import BaseCommand, CommandError

from frontline.intake import imap


class Command(BaseCommand):
    help = "Fetch mail from an IMAP mailbox into cases (once, every N seconds, or with IDLE)."

    def add_arguments(self, parser):
        parser.add_argument("--host", required=True)
        parser.add_argument("--port", type=int, default=993)
        parser.add_argument("--user", required=True)
        parser.add_argument(
            "--password-env", default="FRONTLINE_IMAP_PASSWORD", help="environment variable with the password"
        )
        parser.add_argument("--folder", default="INBOX")
        parser.add_argument(
            "--done-folder", default="", help="move fetched mail here (else it is flagged seen)"
        )
        parser.add_argument("--no-ssl", action="store_true", help="plain IMAP (loopback tests only)")
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=int, default=60, help="seconds between polls without IDLE")

    def handle(self, *args, **o):
        password = os.environ.get(o["password_env"], "")
        if not password:
            raise CommandError(f"set the IMAP password in ${o['password_env']}")
        while True:
            try:
                count = imap.poll(
                    host=o["host"],
                    port=o["port"],
                    username=o["user"],
                    password=password,
                    folder=o["folder"],
                    ssl=not o["no_ssl"],
                    done_folder=o["done_folder"],
                    idle=not o["once"],
                )
                self.stdout.write(f"{count} messages fetched from {o['user']}")
            except (OSError, imap.IMAPClientError) as exc:
                if o["once"]:
                    raise CommandError(f"IMAP: {exc}") from exc
                self.stderr.write(f"IMAP: {exc}; trying again in {o['interval']} s")
            if o["once"]:
                return
            time.sleep(o["interval"])
