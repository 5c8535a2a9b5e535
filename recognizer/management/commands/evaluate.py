import json

from django.core.management.base import BaseCommand, CommandError

from recognizer import lifecycle
from recognizer.management.tables import DATA_HELP
from recognizer.models import ModelVersion


class Command(BaseCommand):
    help = "Score a model version (default: the active one) on the MNIST test set."

    def add_arguments(self, parser):
        parser.add_argument("version", nargs="?", help="a version listed by `manage.py models`")
        parser.add_argument("--data", help=DATA_HELP)
        parser.add_argument("--json", dest="as_json", action="store_true", help="one JSON object")

    def handle(self, *args, version=None, data=None, as_json=False, **options):
        from ml.artifacts import ArtifactError
        from ml.data import MnistDataError

        try:
            model_version, scores = lifecycle.model_version_evaluate(version=version, data_path=data)
        except (ModelVersion.DoesNotExist, ArtifactError, MnistDataError) as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            report = {"accuracy": scores.accuracy, "per_class": scores.per_class, "n": scores.n}
            self.stdout.write(json.dumps({**report, "model_version": model_version.version}))
            return
        self.stdout.write(
            f"{model_version.version}: accuracy {scores.accuracy:.2%} on {scores.n} MNIST test images"
        )
        for digit, accuracy in enumerate(scores.per_class):
            self.stdout.write(f"  {digit}: {accuracy:.2%}")
