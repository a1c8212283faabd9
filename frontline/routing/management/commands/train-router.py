"""`frontline train-router`: learn topics from the provider's own resolved cases (a new model version)."""

from django.core.management.base import BaseCommand, CommandError

from frontline.core.errors import ServiceError
from frontline.routing import services


class Command(BaseCommand):
    help = "Train a new version of the topic classifier and the similar-case index from resolved cases."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=100_000, help="Newest resolved cases to learn from")
        parser.add_argument("--holdout", type=float, default=0.2, help="Share held out to measure the model")

    def handle(self, *args, **options):
        if not 0 <= options["holdout"] < 1:
            raise CommandError("--holdout is a share between 0 and 1")
        try:
            trained = services.train_router(limit=options["limit"], holdout=options["holdout"])
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        m = trained.metrics
        self.stdout.write(
            f"router v{trained.version}: {trained.cases_used} cases, {len(trained.topics)} topics, "
            f"{trained.size_bytes / 1e6:.1f} MB, {m['seconds']} s"
        )
        if "top1" in m:
            self.stdout.write(
                f"held out {m['held_out']}: top-1 {m['top1']:.1%}, top-3 {m['top3']:.1%}, "
                f"expected calibration error {m['ece']:.3f}"
            )
