"""`frontline eval-router --test-file F`: judge the current topic model on a labelled file of your own."""

import csv
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from frontline.agents.models import Skill
from frontline.routing import classifier, services


def read_labelled(path: Path) -> tuple[list[str], list[str]]:
    """CSV with a header (text,label) or JSON lines ({"text": ..., "label": ...})."""
    texts, labels = [], []
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                texts.append(str(row["text"]))
                labels.append(str(row["label"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise CommandError(
                    f'{path}, line {number}: expected {{"text": ..., "label": ...}} ({exc})'
                ) from exc
    else:
        reader = csv.DictReader(raw.splitlines())
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise CommandError(f"{path}: a CSV needs a header with the columns text and label")
        for row in reader:
            texts.append(row["text"] or "")
            labels.append((row["label"] or "").strip())
    if not texts:
        raise CommandError(f"{path} holds no labelled texts")
    return texts, labels


class Command(BaseCommand):
    help = "Top-1/top-3 accuracy, a confusion matrix and calibration of the topic model on a labelled file."

    def add_arguments(self, parser):
        parser.add_argument("--test-file", type=Path, help="CSV (text,label) or JSON lines")
        parser.add_argument(
            "--list-topics", action="store_true", help="Print the topic (skill) names and stop"
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON")

    def handle(self, *args, **options):
        if options["list_topics"]:
            for slug, name in Skill.objects.order_by("slug").values_list("slug", "name"):
                self.stdout.write(f"{slug}\t{name}")
            return
        if not options["test_file"]:
            raise CommandError("give --test-file F (or --list-topics)")
        texts, labels = read_labelled(options["test_file"])
        loaded = services.current_model()
        if loaded is None:
            raise CommandError("no topic model yet: run `frontline train-router` first")
        result = classifier.evaluate(loaded.classifier, texts, labels)
        if options["json"]:
            self.stdout.write(json.dumps({"version": loaded.version, **result.as_dict()}, indent=2))
        else:
            self.stdout.write(
                classifier.format_report(result, title=f"router v{loaded.version} on {options['test_file']}")
            )
