"""`frontline measures`: the measures' headline figures as CSV or JSON, by topic, team, agent or tier; and
`--rebuild` to derive every problem and contact again from scratch (after a demand rule changed), `--train`
to train the words model on people's corrections."""

import csv
import json
import re

from django.core.management.base import BaseCommand, CommandError

from frontline.core.errors import ServiceError
from frontline.measures import board, figures, learned, refresh

SPAN = re.compile(r"^(\d{1,3})([dw])$")


class Command(BaseCommand):
    help = "Outcomes for customers (end-to-end time, contacts per problem, failure demand) as CSV or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--since", default="90d", help="How far back: 90d, 26w (default 90d)")
        parser.add_argument("--by", default="", choices=["", "topic", "team", "agent", "tier"])
        parser.add_argument("--format", default="csv", choices=["csv", "json"])
        parser.add_argument("--rebuild", action="store_true", help="Derive every problem again first")
        parser.add_argument(
            "--train", action="store_true", help="Train the words model on people's corrections first"
        )
        parser.add_argument(
            "--refresh", action="store_true", help="Take in the events since the last pass first"
        )

    def handle(self, *args, **options):
        match = SPAN.match(options["since"])
        if not match:
            raise CommandError("--since is a number of days or weeks: 90d, 26w")
        days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        if options["train"]:
            try:
                model = learned.train()
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
            accuracy = (
                f"{model.accuracy:.0%} right on a quarter held out" if model.accuracy else "not measured"
            )
            self.stderr.write(f"Words model trained on {model.corrections} corrections ({accuracy}).")
        if options["rebuild"]:
            self.stderr.write(f"Derived {refresh.rebuild()} problems from scratch.")
        elif options["refresh"]:
            refresh.refresh()
        since = board.since_weeks(max(1, -(-days // 7)))
        rows = figures.table(options["by"], since)
        if options["format"] == "json":
            self.stdout.write(json.dumps({"since": since.isoformat(), "rows": rows}, indent=2))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
