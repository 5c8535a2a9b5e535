from django.core.management.base import BaseCommand, CommandError

from recognizer import lifecycle
from recognizer.models import ModelVersion


class Command(BaseCommand):
    help = (
        "Make a registered model version the one every web worker serves (they switch on "
        "their next request). Refused when it is worse on MNIST test than the active one by "
        "more than 0.05 points, unless --force. Also the way to roll back."
    )

    def add_arguments(self, parser):
        parser.add_argument("version", help="a version listed by `manage.py models`")
        parser.add_argument("--force", action="store_true", help="activate even if it scores lower")

    def handle(self, *args, version, force=False, **options):
        try:
            model_version = lifecycle.activate_model_version(
                version=version, by="manage.py activate", force=force
            )
        except ModelVersion.DoesNotExist as exc:
            raise CommandError(f"{exc} See `manage.py models`.") from exc
        except lifecycle.ActivationRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Active model version: {model_version.version}"))
