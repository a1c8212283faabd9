import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from frontline.intake import imap


class Command(BaseCommand):
    help = "Fetch mail from an IMAP mailbox into cases (once, every N seconds, or with IDLE)."

    def add_arguments(self, parser):
        # Each option defaults to its FRONTLINE_IMAP_* variable: a deployment configures by environment only.
        parser.add_argument("--host", default=settings.FRONTLINE_IMAP_HOST)
        parser.add_argument("--port", type=int, default=settings.FRONTLINE_IMAP_PORT)
        parser.add_argument("--user", default=settings.FRONTLINE_IMAP_USER)
        parser.add_argument(
            "--password-env", default="FRONTLINE_IMAP_PASSWORD", help="environment variable with the password"
        )
        parser.add_argument("--folder", default=settings.FRONTLINE_IMAP_FOLDER)
        parser.add_argument(
            "--done-folder",
            default=settings.FRONTLINE_IMAP_DONE_FOLDER,
            help="move fetched mail here (else it is flagged seen)",
        )
        parser.add_argument("--no-ssl", action="store_true", help="plain IMAP (loopback tests only)")
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=int, default=60, help="seconds between polls without IDLE")

    def handle(self, *args, **o):
        if not o["host"] or not o["user"]:
            raise CommandError(
                "name the mailbox: --host and --user, or FRONTLINE_IMAP_HOST and FRONTLINE_IMAP_USER"
            )
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
