from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from frontline.cases.models import Channel
from frontline.intake import importer, services
from frontline.intake.models import RawMessage, Source


class Command(BaseCommand):
    help = "Import mail from .eml files, directories of them, Maildir folders or mbox files."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")

    def handle(self, *args, paths, **options):
        stored, refused = [], 0
        for name in paths:
            try:
                for where, raw in importer.messages_in(Path(name)):
                    try:
                        row, _ = services.accept(raw, source=Source.IMPORT, channel=Channel.EMAIL)
                    except services.TooLarge as exc:
                        refused += 1
                        self.stderr.write(f"{where}: not imported: {exc.message}")
                        continue
                    stored.append(row.pk)
            except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
                raise CommandError(str(exc)) from exc
        services.process_pending()
        outcome = Counter(RawMessage.objects.filter(pk__in=stored).values_list("status", flat=True))
        summary = ", ".join(f"{count} {status}" for status, count in sorted(outcome.items()))
        self.stdout.write(f"{len(stored)} stored ({summary or 'nothing'}); {refused} refused as too large")
        for row in RawMessage.objects.filter(pk__in=stored, status="quarantined"):
            self.stdout.write(f"  quarantined #{row.pk}: {row.reason}")
