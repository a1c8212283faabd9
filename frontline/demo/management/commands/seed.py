import time

from django.core.management.base import BaseCommand, CommandError

from frontline.core import clock
from frontline.demo.provider import seed


class Command(BaseCommand):
    help = "Bulk-write scale data: N customers and M cases with their messages and events (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, required=True)
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument(
            "--open-share", type=float, default=0.1, help="Share of cases still open (0 to 1)"
        )
        parser.add_argument("--months", type=int, default=12, help="History spread over this many months")
        parser.add_argument("--seed", type=int, default=1, help="Random seed, for repeatable data")
        parser.add_argument(
            "--full-history",
            action="store_true",
            help="Replies, chasers, notes and reopens on finished cases, as in the demo (slower)",
        )

    def handle(self, *args, **options):
        if options["customers"] < 1 or options["cases"] < 0 or not 0 <= options["open_share"] <= 1:
            raise CommandError("--customers must be at least 1, --cases at least 0, --open-share within 0..1")
        started = time.monotonic()
        totals = seed(
            customers=options["customers"],
            cases=options["cases"],
            open_share=options["open_share"],
            months=options["months"],
            seed=options["seed"],
            now=clock.now(),
            full_history=options["full_history"],
            progress=lambda line: self.stdout.write(f"  {line} ({time.monotonic() - started:.0f} s)"),
        )
        for table, count in sorted(totals.items()):
            self.stdout.write(f"{table}: {count} rows")
        self.stdout.write(f"seeded in {time.monotonic() - started:.1f} s")
